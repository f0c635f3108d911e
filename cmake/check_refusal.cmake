# cmake -DSOURCE=... -DBINARY=... -DMESSAGE=regex "-DARGS=a;b" -P check_refusal.cmake
# Configuring SOURCE with ARGS must fail, and say MESSAGE.
cmake_minimum_required(VERSION 3.20)
file(REMOVE_RECURSE "${BINARY}")
execute_process(COMMAND "${CMAKE_COMMAND}" -S "${SOURCE}" -B "${BINARY}" ${ARGS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
file(REMOVE_RECURSE "${BINARY}")
if(rc EQUAL 0)
  message(FATAL_ERROR "configure succeeded with ${ARGS}; it should have refused")
endif()
if(NOT "${out}${err}" MATCHES "${MESSAGE}")
  message(FATAL_ERROR "configure failed without saying \"${MESSAGE}\":\n${out}${err}")
endif()
message("refused, saying \"${MESSAGE}\"")
