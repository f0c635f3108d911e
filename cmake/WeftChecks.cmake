# Checks of the build seen from outside, as CTest tests (so every matrix row
# is configure + build + ctest, and the counts come from CTest):
#
#   WEFT_INSTALL_CHECKS    install into <build>/prefix (a fixture) and check the
#                          files; natively, build tests/consumer with a plain
#                          cc line from pkg-config while only this variant is
#                          installed; install the other variant (static or
#                          shared) beside it; then build tests/consumer with
#                          find_package (default, COMPONENTS static|shared,
#                          WEFT_USE_STATIC) and, natively, with weft.pc and
#                          weft-static.pc, and run it (through the emulator
#                          when cross-compiling).
#   WEFT_CONFIGURE_CHECKS  configure must refuse an unknown backend, win32 off
#                          Windows, c11 without <threads.h>, an unknown
#                          WEFT_ATOMICS and interlocked atomics off Windows,
#                          saying why; with no build type it must pick
#                          RelWithDebInfo.
#   WEFT_TSAN_CONSUMER     a program built with -fsanitize=thread against this
#                          (uninstrumented) weft: no report when it uses every
#                          primitive correctly, a report with one plain race;
#                          and clang's -Wthread-safety on the annotated header.
#
#   WEFT_EMBED_CHECKS      build tests/embed, a user's project with weft inside:
#                          a shared library of its own linking the static
#                          weft, all compiled -fno-pie so that only weft's
#                          own PIC default can make it link (weft.embed.plugin);
#                          and weft by FetchContent with its tests, examples
#                          and benchmarks beside the project's own demo,
#                          tests, events... targets, every weft test labelled
#                          weft (weft.embed.subproject). GNU-style native
#                          compilers only.
#
# Tests are named weft.install.*, weft.consumer.*, weft.configure.*,
# weft.embed.*, weft.tsan.*, weft.tsa.*, and labelled "install", "configure",
# "embed" or "tsan".
include_guard(GLOBAL)
option(WEFT_INSTALL_CHECKS "Register the install + consumer checks as tests" OFF)
option(WEFT_CONFIGURE_CHECKS "Register the configure-refusal checks as tests" OFF)
option(WEFT_EMBED_CHECKS "Register the plugin and subproject checks as tests" OFF)
option(WEFT_TSAN_CONSUMER "Register the TSan consumer of an uninstrumented weft as tests" OFF)
if(NOT WEFT_INSTALL_CHECKS AND NOT WEFT_CONFIGURE_CHECKS AND NOT WEFT_EMBED_CHECKS
   AND NOT WEFT_TSAN_CONSUMER)
  return()
endif()
enable_testing()
include(WeftTesting)

set(_weft_checks "${CMAKE_CURRENT_LIST_DIR}")

if(WEFT_INSTALL_CHECKS)
  set(prefix "${CMAKE_BINARY_DIR}/prefix")
  set(consumers "${CMAKE_BINARY_DIR}/consumers")
  if(WEFT_LIBRARY_TYPE STREQUAL "SHARED_LIBRARY")
    set(variant shared)
    set(other_variant static)
    set(other_shared OFF)
  else()
    set(variant static)
    set(other_variant shared)
    set(other_shared ON)
  endif()

  # Setup, in this order: clean, install this build, check its files, (on
  # the build machine: build with weft.pc while only this variant is
  # there), install the other variant beside it.
  weft_add_test(NAME weft.install.clean LABELS install
    COMMAND "${CMAKE_COMMAND}" -E rm -rf "${prefix}" "${consumers}")
  weft_add_test(NAME weft.install LABELS install
    COMMAND "${CMAKE_COMMAND}" --install "${CMAKE_BINARY_DIR}" --prefix "${prefix}"
            --config $<CONFIG>)
  set(files include/weft.h include/weft_version.h share/doc/weft/LICENSE
            share/doc/weft/CHANGELOG.md ${WEFT_INSTALL_CMAKEDIR}/weftConfig.cmake
            ${WEFT_INSTALL_CMAKEDIR}/weft-${variant}.cmake
            ${WEFT_INSTALL_CMAKEDIR}/weft-${variant}-targets.cmake
            ${CMAKE_INSTALL_LIBDIR}/pkgconfig/weft.pc)
  if(variant STREQUAL "static")
    list(APPEND files ${CMAKE_INSTALL_LIBDIR}/pkgconfig/weft-static.pc)
  endif()
  weft_add_test(NAME weft.install.files LABELS install
    COMMAND "${CMAKE_COMMAND}" -DPREFIX=${prefix} "-DFILES=${files}"
            -P "${_weft_checks}/check_install.cmake")
  set(other -DSOURCE=${PROJECT_SOURCE_DIR} -DBINARY=${CMAKE_BINARY_DIR}/other-variant
            -DPREFIX=${prefix} -DSHARED=${other_shared} -DBACKEND=${WEFT_BACKEND}
            -DBUILD_TYPE=${CMAKE_BUILD_TYPE} "-DGENERATOR=${CMAKE_GENERATOR}"
            -DC_COMPILER=${CMAKE_C_COMPILER})
  if(CMAKE_TOOLCHAIN_FILE)
    list(APPEND other -DTOOLCHAIN=${CMAKE_TOOLCHAIN_FILE})
  endif()
  weft_add_test(NAME weft.install.other_variant LABELS install TIMEOUT 600
    COMMAND "${CMAKE_COMMAND}" ${other} -P "${_weft_checks}/check_other_variant.cmake")
  set_tests_properties(weft.install.other_variant PROPERTIES RUN_SERIAL TRUE) # builds with -j 2
  set(setup weft.install.clean weft.install weft.install.files weft.install.other_variant)

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
  # _weft_consumer(<name> <setup|uses> <args>...): one consumer build.
  function(_weft_consumer name role)
    weft_add_test(NAME weft.consumer.${name} LABELS install TIMEOUT 300 ${env}
      COMMAND "${CMAKE_COMMAND}" ${common} -DBINARY=${consumers}/${name} ${ARGN}
              -P "${_weft_checks}/check_consumer.cmake")
    # Appended: weft_add_test made it require the wine server's fixture,
    # whose cleanup (stopping the server) must wait for it too.
    if(role STREQUAL "setup")
      set_tests_properties(weft.consumer.${name} PROPERTIES FIXTURES_SETUP weft_installed)
    else()
      set_property(TEST weft.consumer.${name} APPEND PROPERTY FIXTURES_REQUIRED weft_installed)
    endif()
  endfunction()
  # pkg-config describes this machine's compiler's view: native builds only.
  if(NOT CMAKE_CROSSCOMPILING)
    _weft_consumer(pkg_config_alone setup -DMODE=pkg_config -DVARIANT=${variant})
    list(INSERT setup 3 weft.consumer.pkg_config_alone)
  endif()
  set(previous "")
  foreach(test IN LISTS setup)
    set_tests_properties(${test} PROPERTIES FIXTURES_SETUP weft_installed)
    if(previous)
      set_tests_properties(${test} PROPERTIES DEPENDS ${previous})
    endif()
    set(previous ${test})
  endforeach()

  # Both variants installed: the package picks the shared one unless told.
  _weft_consumer(find_package uses -DMODE=find_package -DVARIANT=shared)
  _weft_consumer(find_package_static uses -DMODE=find_package -DCOMPONENT=static
                 -DVARIANT=static)
  _weft_consumer(find_package_shared uses -DMODE=find_package -DCOMPONENT=shared
                 -DVARIANT=shared)
  _weft_consumer(use_static uses -DMODE=find_package -DUSE_STATIC=ON -DVARIANT=static)
  if(NOT CMAKE_CROSSCOMPILING)
    _weft_consumer(pkg_config uses -DMODE=pkg_config -DPC=weft -DVARIANT=shared)
    _weft_consumer(pkg_config_static uses -DMODE=pkg_config -DPC=weft-static
                   -DVARIANT=static)
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
  _weft_refusal(interlocked_off_windows "WEFT_ATOMICS=interlocked needs a Windows target" -DWEFT_ATOMICS=interlocked)
  _weft_refusal(unknown_atomics "is not one of auto, c11, interlocked" -DWEFT_ATOMICS=gcc)
  # With no build type, a single-config build of weft is RelWithDebInfo.
  weft_add_test(NAME weft.configure.default_build_type LABELS configure TIMEOUT 120
    COMMAND "${CMAKE_COMMAND}" -DSOURCE=${PROJECT_SOURCE_DIR}
            -DBINARY=${CMAKE_BINARY_DIR}/refusals/default_build_type -DEXPECTED=RelWithDebInfo
            -P "${_weft_checks}/check_build_type.cmake")
endif()

if(WEFT_EMBED_CHECKS)
  if(CMAKE_CROSSCOMPILING OR NOT CMAKE_C_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "WEFT_EMBED_CHECKS needs a native gcc or clang (it builds with -fno-pie)")
  endif()
  foreach(mode plugin subproject)
    weft_add_test(NAME weft.embed.${mode} LABELS embed TIMEOUT 600
      COMMAND "${CMAKE_COMMAND}" -DSOURCE=${PROJECT_SOURCE_DIR}
              -DPROJECT=${PROJECT_SOURCE_DIR}/tests/embed -DBINARY=${CMAKE_BINARY_DIR}/embed-${mode}
              -DMODE=${mode} -DC_COMPILER=${CMAKE_C_COMPILER} "-DGENERATOR=${CMAKE_GENERATOR}"
              -P "${_weft_checks}/check_embed.cmake")
    # Each builds with -j 2: alone, so that the machine sees two jobs.
    set_tests_properties(weft.embed.${mode} PROPERTIES RUN_SERIAL TRUE)
  endforeach()
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
            -I${PROJECT_SOURCE_DIR}/include -I${WEFT_GENERATED_INCLUDE_DIR})
    weft_add_test(NAME weft.tsa.clean LABELS tsan
      COMMAND ${tsa} ${PROJECT_SOURCE_DIR}/tests/tsan/tsa_ok.c)
    weft_add_test(NAME weft.tsa.misuse_reported LABELS tsan
      COMMAND ${tsa} ${PROJECT_SOURCE_DIR}/tests/tsan/tsa_misuse.c
      PASS_REGULAR_EXPRESSION "requires holding mutex 'lock'")
  endif()
endif()
