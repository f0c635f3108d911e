# cmake -DSOURCE=<weft> -DBINARY=... -DEXPECTED=RelWithDebInfo -P check_build_type.cmake
# Configure weft with no build type given (the library alone): the cache must
# then hold EXPECTED.
cmake_minimum_required(VERSION 3.20)
file(REMOVE_RECURSE "${BINARY}")
unset(ENV{CMAKE_BUILD_TYPE})
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE}" -B "${BINARY}" -DWEFT_BUILD_TESTS=OFF
                        -DWEFT_BUILD_EXAMPLES=OFF -DWEFT_BUILD_BENCH=OFF
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed:\n${out}${err}")
endif()
file(STRINGS "${BINARY}/CMakeCache.txt" line REGEX "^CMAKE_BUILD_TYPE:")
file(REMOVE_RECURSE "${BINARY}")
if(NOT line MATCHES ":[A-Z]+=${EXPECTED}$")
  message(FATAL_ERROR "with no build type given, the cache says '${line}', expected ${EXPECTED}")
endif()
message("no build type given: ${EXPECTED}")
