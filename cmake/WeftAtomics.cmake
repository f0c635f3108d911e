# Resolve WEFT_ATOMICS to the implementation of src/atomic.h:
#   c11          <stdatomic.h> (gcc, clang; MSVC 17.5+ with /experimental:c11atomics)
#   interlocked  the Win32 _Interlocked* intrinsics (<intrin.h>), for Windows
#                compilers without C11 atomics
#   auto         c11 where it compiles, else interlocked on Windows
# Sets WEFT_ATOMICS_DEFINITIONS and WEFT_ATOMICS_OPTIONS for the library.
#
# An interlocked build with a compiler that does have C11 atomics (mingw-w64
# in the matrix) hides them from the library, as MSVC before 17.5 would: a
# <stdatomic.h> that stops the build, and no _Atomic keyword. Any use left
# in src/ then fails the build instead of passing unnoticed.
include_guard(GLOBAL)
include(CheckCSourceCompiles)

set(WEFT_ATOMICS "auto" CACHE STRING "Atomics: auto, c11 (<stdatomic.h>) or interlocked (Win32)")
set_property(CACHE WEFT_ATOMICS PROPERTY STRINGS auto c11 interlocked)

set(WEFT_ATOMICS_OPTIONS "")
if(MSVC AND MSVC_VERSION GREATER_EQUAL 1935)
  set(_weft_c11atomics_flag /experimental:c11atomics)
else()
  set(_weft_c11atomics_flag "")
endif()

function(_weft_have_c11_atomics out)
  set(CMAKE_REQUIRED_FLAGS "${_weft_c11atomics_flag}")
  check_c_source_compiles("
#include <stdatomic.h>
#include <stdint.h>
int main(void) {
  static _Atomic uintptr_t w;
  uintptr_t e = 0;
  atomic_compare_exchange_weak_explicit(&w, &e, 1, memory_order_acquire, memory_order_relaxed);
  return (int)atomic_fetch_add_explicit(&w, 1, memory_order_relaxed);
}" WEFT_HAVE_C11_ATOMICS)
  set(${out} ${WEFT_HAVE_C11_ATOMICS} PARENT_SCOPE)
endfunction()

set(_weft_atomics "${WEFT_ATOMICS}")
if(_weft_atomics STREQUAL "auto")
  _weft_have_c11_atomics(_weft_c11)
  if(_weft_c11)
    set(_weft_atomics c11)
  elseif(WIN32)
    set(_weft_atomics interlocked)
  else()
    message(FATAL_ERROR "weft needs C11 <stdatomic.h> on this target, and this compiler lacks it.")
  endif()
elseif(_weft_atomics STREQUAL "c11")
  _weft_have_c11_atomics(_weft_c11)
  if(NOT _weft_c11)
    message(FATAL_ERROR "WEFT_ATOMICS=c11, but this compiler has no usable <stdatomic.h>"
                        " (on Windows use WEFT_ATOMICS=interlocked).")
  endif()
elseif(_weft_atomics STREQUAL "interlocked")
  if(NOT WIN32)
    message(FATAL_ERROR "WEFT_ATOMICS=interlocked needs a Windows target (<intrin.h>);"
                        " this target is ${CMAKE_SYSTEM_NAME}.")
  endif()
else()
  message(FATAL_ERROR "WEFT_ATOMICS='${WEFT_ATOMICS}' is not one of auto, c11, interlocked.")
endif()

if(_weft_atomics STREQUAL "c11")
  set(WEFT_ATOMICS_DEFINITIONS WEFT_ATOMICS_C11)
  if(_weft_c11atomics_flag)
    list(APPEND WEFT_ATOMICS_OPTIONS ${_weft_c11atomics_flag})
  endif()
else()
  set(WEFT_ATOMICS_DEFINITIONS WEFT_ATOMICS_INTERLOCKED)
  if(CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    set(WEFT_ATOMICS_HIDE_C11 ON)
  endif()
endif()
message(STATUS "weft: atomics ${_weft_atomics}")

# weft_atomics_apply(<target>): give the library its atomics.
function(weft_atomics_apply target)
  target_compile_definitions(${target} PRIVATE ${WEFT_ATOMICS_DEFINITIONS})
  target_compile_options(${target} PRIVATE ${WEFT_ATOMICS_OPTIONS})
  if(WEFT_ATOMICS_HIDE_C11)
    target_include_directories(${target} BEFORE PRIVATE
                               "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/no-stdatomic")
    target_compile_definitions(${target} PRIVATE
                               "_Atomic=weft_interlocked_build_has_no__Atomic")
  endif()
endfunction()
