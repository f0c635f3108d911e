# cmake -DMODE=find_package|pkg_config -DPREFIX=... -DSOURCE=tests/consumer
#       -DBINARY=... -DBACKEND=... [-DC_COMPILER=...] [-DTOOLCHAIN=...]
#       [-DEMULATOR=a|b|c] -P check_consumer.cmake
# Builds tests/consumer against the weft installed in PREFIX, the way a user
# would, and runs it: it must report BACKEND and start and join a thread.
cmake_minimum_required(VERSION 3.20)

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc})")
  endif()
endfunction()

file(REMOVE_RECURSE "${BINARY}")
file(MAKE_DIRECTORY "${BINARY}")
set(emulator "")
if(EMULATOR)
  string(REPLACE "|" ";" emulator "${EMULATOR}")
endif()

if(MODE STREQUAL "find_package")
  set(args -S "${SOURCE}" -B "${BINARY}" "-DCMAKE_PREFIX_PATH=${PREFIX}"
           "-DWEFT_EXPECTED_BACKEND=${BACKEND}")
  if(TOOLCHAIN)
    list(APPEND args "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}")
  elseif(C_COMPILER)
    list(APPEND args "-DCMAKE_C_COMPILER=${C_COMPILER}")
  endif()
  run("configuring the consumer" "${CMAKE_COMMAND}" ${args})
  run("building the consumer" "${CMAKE_COMMAND}" --build "${BINARY}")
  file(GLOB exe "${BINARY}/weft_consumer" "${BINARY}/weft_consumer.exe")
  run("running the consumer" ${emulator} ${exe} "${BACKEND}")
elseif(MODE STREQUAL "pkg_config")
  find_program(PKG_CONFIG pkg-config REQUIRED)
  file(GLOB_RECURSE pc "${PREFIX}/*/weft.pc")
  get_filename_component(pcdir "${pc}" DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} "${pcdir}")
  execute_process(COMMAND "${PKG_CONFIG}" --variable=backend weft OUTPUT_VARIABLE backend
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT backend STREQUAL BACKEND)
    message(FATAL_ERROR "weft.pc says backend=${backend}, expected ${BACKEND}")
  endif()
  execute_process(COMMAND "${PKG_CONFIG}" --variable=libdir weft OUTPUT_VARIABLE libdir
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  # A static weft needs its own libraries (Libs.private) on the line too.
  set(static "")
  if(NOT EXISTS "${libdir}/libweft.so")
    set(static --static)
  endif()
  execute_process(COMMAND "${PKG_CONFIG}" --cflags weft OUTPUT_VARIABLE cflags
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND "${PKG_CONFIG}" ${static} --libs weft OUTPUT_VARIABLE libs
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  separate_arguments(libs UNIX_COMMAND "${libs}")
  run("compiling with pkg-config's flags" "${C_COMPILER}" -std=c11 ${cflags} "${SOURCE}/main.c"
      ${libs} -o "${BINARY}/weft_consumer")
  run("running the consumer" "${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${libdir}"
      "${BINARY}/weft_consumer" "${BACKEND}")
else()
  message(FATAL_ERROR "MODE must be find_package or pkg_config")
endif()
