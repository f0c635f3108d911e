# Checks of the build seen from outside, as CTest tests (so every matrix row
# is configure + build + ctest, and the counts come from CTest):
#
#   WEFT_INSTALL_CHECKS    install into <build>/prefix (a fixture), then build
#                          tests/consumer against it with find_package and,
#                          natively, with a plain cc line from pkg-config, and
#                          run it (through the emulator when cross-compiling).
#   WEFT_CONFIGURE_CHECKS  configure must refuse an unknown backend, win32 off
#                          Windows and c11 without <threads.h>, saying why.
#   WEFT_TSAN_CONSUMER     a program built with -fsanitize=thread against this
#                          (uninstrumented) weft: no report when it uses every
#                          primitive correctly, a report with one plain race.
#
# Tests are named weft.install.*, weft.consumer.*, weft.configure.*, and
# labelled "install" or "configure".
include_guard(GLOBAL)
option(WEFT_INSTALL_CHECKS "Register the install + consumer checks as tests" OFF)
option(WEFT_CONFIGURE_CHECKS "Register the configure-refusal checks as tests" OFF)
option(WEFT_TSAN_CONSUMER "Register the TSan consumer of an uninstrumented weft as tests" OFF)
if(NOT WEFT_INSTALL_CHECKS AND NOT WEFT_CONFIGURE_CHECKS AND NOT WEFT_TSAN_CONSUMER)
  return()
endif()
enable_testing()
include(WeftTesting)

set(_weft_checks "${CMAKE_CURRENT_LIST_DIR}")

if(WEFT_INSTALL_CHECKS)
  set(prefix "${CMAKE_BINARY_DIR}/prefix")
  set(consumers "${CMAKE_BINARY_DIR}/consumers")
  weft_add_test(NAME weft.install.clean LABELS install
    COMMAND "${CMAKE_COMMAND}" -E rm -rf "${prefix}" "${consumers}")
  weft_add_test(NAME weft.install LABELS install
    COMMAND "${CMAKE_COMMAND}" --install "${CMAKE_BINARY_DIR}" --prefix "${prefix}"
            --config $<CONFIG>)
  set_tests_properties(weft.install.clean weft.install PROPERTIES FIXTURES_SETUP weft_installed)
  set_tests_properties(weft.install PROPERTIES DEPENDS weft.install.clean)

  set(common -DPREFIX=${prefix} -DSOURCE=${PROJECT_SOURCE_DIR}/tests/consumer
             -DBACKEND=${WEFT_BACKEND} -DC_COMPILER=${CMAKE_C_COMPILER})
  if(CMAKE_TOOLCHAIN_FILE)
    list(APPEND common -DTOOLCHAIN=${CMAKE_TOOLCHAIN_FILE})
  endif()
  if(CMAKE_CROSSCOMPILING_EMULATOR)
    string(REPLACE ";" "|" emulator "${CMAKE_CROSSCOMPILING_EMULATOR}")
    list(APPEND common "-DEMULATOR=${emulator}")
  endif()
  # A shared weft on Windows is a DLL in the prefix's bin.
  set(env "")
  if(WIN32)
    set(env ENVIRONMENT "WINEPATH=Z:${prefix}/bin")
  endif()
  weft_add_test(NAME weft.consumer.find_package LABELS install TIMEOUT 300 ${env}
    COMMAND "${CMAKE_COMMAND}" ${common} -DMODE=find_package
            -DBINARY=${consumers}/find_package -P "${_weft_checks}/check_consumer.cmake")
  set_tests_properties(weft.consumer.find_package PROPERTIES FIXTURES_REQUIRED weft_installed)
  # pkg-config describes this machine's compiler's view: native builds only.
  if(NOT CMAKE_CROSSCOMPILING)
    weft_add_test(NAME weft.consumer.pkg_config LABELS install TIMEOUT 300
      COMMAND "${CMAKE_COMMAND}" ${common} -DMODE=pkg_config
              -DBINARY=${consumers}/pkg_config -P "${_weft_checks}/check_consumer.cmake")
    set_tests_properties(weft.consumer.pkg_config PROPERTIES FIXTURES_REQUIRED weft_installed)
  endif()
endif()

if(WEFT_CONFIGURE_CHECKS)
  function(_weft_refusal name message)
    weft_add_test(NAME weft.configure.${name} LABELS configure TIMEOUT 120
      COMMAND "${CMAKE_COMMAND}" -DSOURCE=${PROJECT_SOURCE_DIR}
              -DBINARY=${CMAKE_BINARY_DIR}/refusals/${name} "-DMESSAGE=${message}"
              "-DARGS=${ARGN}" -P "${_weft_checks}/check_refusal.cmake")
  endfunction()
  _weft_refusal(unknown_backend "is not a weft backend" -DWEFT_BACKEND=fibers)
  _weft_refusal(win32_off_windows "needs a Windows target" -DWEFT_BACKEND=win32)
  _weft_refusal(c11_without_threads_h "needs <threads.h>" -DWEFT_BACKEND=c11
                -DCMAKE_TOOLCHAIN_FILE=${PROJECT_SOURCE_DIR}/cmake/mingw-w64.cmake)
endif()

if(WEFT_TSAN_CONSUMER)
  if(WEFT_SANITIZE)
    message(FATAL_ERROR "WEFT_TSAN_CONSUMER checks an uninstrumented weft: leave WEFT_SANITIZE empty")
  endif()
  add_executable(weft_tsan_consumer ${PROJECT_SOURCE_DIR}/tests/tsan/consumer.c)
  target_link_libraries(weft_tsan_consumer PRIVATE weft::weft)
  target_compile_options(weft_tsan_consumer PRIVATE -fsanitize=thread -g -O1)
  target_link_options(weft_tsan_consumer PRIVATE -fsanitize=thread)
  # clang 14's TSan dies at start on kernels with more mmap randomisation
  # than it expects: run without ASLR where setarch can.
  find_program(WEFT_SETARCH setarch)
  set(launch "")
  if(WEFT_SETARCH)
    set(launch "${WEFT_SETARCH}" "${CMAKE_SYSTEM_PROCESSOR}" -R)
  endif()
  weft_add_test(NAME weft.tsan.clean LABELS tsan TIMEOUT 120
    COMMAND ${launch} $<TARGET_FILE:weft_tsan_consumer>
    PASS_REGULAR_EXPRESSION "clean run done" FAIL_REGULAR_EXPRESSION "ThreadSanitizer|FAIL")
  weft_add_test(NAME weft.tsan.race_reported LABELS tsan TIMEOUT 120
    COMMAND ${launch} $<TARGET_FILE:weft_tsan_consumer> race
    PASS_REGULAR_EXPRESSION "WARNING: ThreadSanitizer: data race")
  # clang's -Wthread-safety on weft's annotated header: quiet on correct
  # use, an error on data touched without its lock.
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    set(tsa "${CMAKE_C_COMPILER}" -fsyntax-only -Wthread-safety -Werror
            -I${PROJECT_SOURCE_DIR}/include)
    weft_add_test(NAME weft.tsa.clean LABELS tsan
      COMMAND ${tsa} ${PROJECT_SOURCE_DIR}/tests/tsan/tsa_ok.c)
    weft_add_test(NAME weft.tsa.misuse_reported LABELS tsan
      COMMAND ${tsa} ${PROJECT_SOURCE_DIR}/tests/tsan/tsa_misuse.c
      PASS_REGULAR_EXPRESSION "requires holding mutex 'lock'")
  endif()
endif()
