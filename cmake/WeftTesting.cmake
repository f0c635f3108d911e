# weft_add_test(): register one CTest test with weft's defaults.
#
#   weft_add_test(NAME <name> COMMAND <target-or-exe> [args...]
#                 [TIMEOUT <seconds>]                      default 60
#                 [PASS_REGULAR_EXPRESSION <re>]
#                 [FAIL_REGULAR_EXPRESSION <re>]
#                 [ENVIRONMENT <VAR=value>...]
#                 [LABELS <label>...]
#                 [WORKING_DIRECTORY <dir>])
#
# Every test is labelled "weft" (and with LABELS), so that a project that
# builds weft as a subproject can run or leave out weft's tests as a whole
# (ctest -L weft, ctest -LE weft). A test that exits with 77 is reported as
# skipped. When COMMAND names an
# executable target and the build is cross-compiled, CTest runs it through
# CMAKE_CROSSCOMPILING_EMULATOR (add_test does that for targets). Under wine
# every test also requires the fixture below: one persistent wineserver for
# the whole ctest run instead of one per test (docs/toolchains.md).
include_guard(GLOBAL)
enable_testing()

# True when tests run under wine: the emulator is our wrapper or wine itself.
set(_weft_wine_wrapper "")
if(CMAKE_CROSSCOMPILING AND CMAKE_CROSSCOMPILING_EMULATOR)
  list(GET CMAKE_CROSSCOMPILING_EMULATOR 0 _weft_emulator)
  get_filename_component(_weft_emulator_name "${_weft_emulator}" NAME)
  if(_weft_emulator_name MATCHES "^wine")
    set(_weft_wine_wrapper "${_weft_emulator}")
  endif()
endif()

if(_weft_wine_wrapper)
  if(NOT _weft_emulator_name STREQUAL "wine-run.sh")
    # Plain wine as the emulator: use our wrapper for the server fixture.
    set(_weft_wine_wrapper "${CMAKE_CURRENT_LIST_DIR}/wine-run.sh")
  endif()
  # One prefix per build tree, so parallel builds never share a server.
  set(WEFT_WINEPREFIX "${CMAKE_BINARY_DIR}/wineprefix" CACHE PATH
      "WINEPREFIX that the tests run in (created on first use)")
  set(_weft_wine_env "WINEPREFIX=${WEFT_WINEPREFIX}")

  # The fixture tests live in the directory that includes this file (the
  # top level), so `ctest` from the build root sees them.
  add_test(NAME weft.wine.start
           COMMAND "${_weft_wine_wrapper}" --start-server)
  add_test(NAME weft.wine.stop
           COMMAND "${_weft_wine_wrapper}" --stop-server)
  set_tests_properties(weft.wine.start PROPERTIES
    FIXTURES_SETUP weft_wine
    LABELS weft
    ENVIRONMENT "${_weft_wine_env}"
    TIMEOUT 300)  # the first run creates the prefix (5-6 s, longer on a cold disk)
  set_tests_properties(weft.wine.stop PROPERTIES
    FIXTURES_CLEANUP weft_wine
    LABELS weft
    ENVIRONMENT "${_weft_wine_env}"
    TIMEOUT 60)
endif()

function(weft_add_test)
  cmake_parse_arguments(PARSE_ARGV 0 arg ""
    "NAME;TIMEOUT;PASS_REGULAR_EXPRESSION;FAIL_REGULAR_EXPRESSION;WORKING_DIRECTORY"
    "COMMAND;ENVIRONMENT;LABELS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "weft_add_test: unexpected arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME OR NOT arg_COMMAND)
    message(FATAL_ERROR "weft_add_test: NAME and COMMAND are required")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 60)
  endif()

  set(working_directory "")
  if(arg_WORKING_DIRECTORY)
    set(working_directory WORKING_DIRECTORY "${arg_WORKING_DIRECTORY}")
  endif()
  add_test(NAME "${arg_NAME}" COMMAND ${arg_COMMAND} ${working_directory})

  set(environment ${arg_ENVIRONMENT})
  if(_weft_wine_wrapper)
    list(APPEND environment "${_weft_wine_env}")
    # A shared weft is a DLL beside the library target, not beside the test.
    if(TARGET weft)
      get_target_property(weft_type weft TYPE)
      if(weft_type STREQUAL "SHARED_LIBRARY")
        list(APPEND environment "WINEPATH=Z:$<TARGET_FILE_DIR:weft>")
      endif()
    endif()
    set_property(TEST "${arg_NAME}" APPEND PROPERTY FIXTURES_REQUIRED weft_wine)
  endif()

  set_tests_properties("${arg_NAME}" PROPERTIES
    TIMEOUT "${arg_TIMEOUT}"
    SKIP_RETURN_CODE 77)
  if(environment)
    set_property(TEST "${arg_NAME}" PROPERTY ENVIRONMENT "${environment}")
  endif()
  set_property(TEST "${arg_NAME}" PROPERTY LABELS weft ${arg_LABELS})
  foreach(prop PASS_REGULAR_EXPRESSION FAIL_REGULAR_EXPRESSION)
    if(DEFINED arg_${prop})
      set_property(TEST "${arg_NAME}" PROPERTY ${prop} "${arg_${prop}}")
    endif()
  endforeach()
endfunction()
