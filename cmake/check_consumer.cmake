# cmake -DMODE=find_package|pkg_config -DPREFIX=... -DSOURCE=tests/consumer
#       -DBINARY=... -DBACKEND=... [-DC_COMPILER=...] [-DTOOLCHAIN=...]
#       [-DEMULATOR=a|b|c] [-DVARIANT=static|shared]
#       find_package: [-DCOMPONENT=static|shared] [-DUSE_STATIC=ON|OFF]
#       pkg_config:   [-DPC=weft|weft-static]
# Builds tests/consumer against the weft installed in PREFIX, the way a user
# would, and runs it: it must report BACKEND and start and join a thread.
# With VARIANT, the package (or .pc file) must have picked that variant:
# find_package reports it; a pkg-config build on ELF must (shared) or must
# not (static) need libweft.so.
cmake_minimum_required(VERSION 3.20)

include("${CMAKE_CURRENT_LIST_DIR}/check_run.cmake")

file(REMOVE_RECURSE "${BINARY}")
file(MAKE_DIRECTORY "${BINARY}")
set(emulator "")
if(EMULATOR)
  string(REPLACE "|" ";" emulator "${EMULATOR}")
endif()

if(MODE STREQUAL "find_package")
  set(args -S "${SOURCE}" -B "${BINARY}" "-DCMAKE_PREFIX_PATH=${PREFIX}"
           "-DWEFT_EXPECTED_BACKEND=${BACKEND}" "-DWEFT_EXPECTED_VARIANT=${VARIANT}"
           "-DWEFT_FIND_COMPONENT=${COMPONENT}")
  if(DEFINED USE_STATIC)
    list(APPEND args "-DWEFT_USE_STATIC=${USE_STATIC}")
  endif()
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
  if(NOT PC)
    set(PC weft)
  endif()
  find_program(PKG_CONFIG pkg-config REQUIRED)
  file(GLOB_RECURSE pc "${PREFIX}/*/${PC}.pc")
  if(NOT pc)
    message(FATAL_ERROR "no ${PC}.pc under ${PREFIX}")
  endif()
  get_filename_component(pcdir "${pc}" DIRECTORY)
  set(ENV{PKG_CONFIG_PATH} "${pcdir}")
  foreach(var backend variant libdir)
    execute_process(COMMAND "${PKG_CONFIG}" --variable=${var} ${PC} OUTPUT_VARIABLE ${var}
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
  endforeach()
  if(NOT backend STREQUAL BACKEND)
    message(FATAL_ERROR "${PC}.pc says backend=${backend}, expected ${BACKEND}")
  endif()
  if(VARIANT AND NOT variant STREQUAL VARIANT)
    message(FATAL_ERROR "${PC}.pc is the ${variant} weft, expected the ${VARIANT} one")
  endif()
  # A static weft behind -lweft needs its own libraries (Libs.private) too.
  set(static "")
  if(variant STREQUAL "static")
    set(static --static)
  endif()
  execute_process(COMMAND "${PKG_CONFIG}" --cflags ${PC} OUTPUT_VARIABLE cflags
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  execute_process(COMMAND "${PKG_CONFIG}" ${static} --libs ${PC} OUTPUT_VARIABLE libs
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  message("${PC}: cflags ${cflags}; libs ${libs}")
  separate_arguments(cflags UNIX_COMMAND "${cflags}")
  separate_arguments(libs UNIX_COMMAND "${libs}")
  set(exe "${BINARY}/weft_consumer")
  run("compiling with pkg-config's flags" "${C_COMPILER}" -std=c11 ${cflags} "${SOURCE}/main.c"
      ${libs} -o "${exe}")
  find_program(READELF readelf)
  if(VARIANT AND READELF)
    execute_process(COMMAND "${READELF}" -d "${exe}" OUTPUT_VARIABLE dynamic)
    string(FIND "${dynamic}" "libweft.so" needs_so)
    if(VARIANT STREQUAL "shared" AND needs_so EQUAL -1)
      message(FATAL_ERROR "linked with ${PC}.pc, the program does not need libweft.so")
    elseif(VARIANT STREQUAL "static" AND NOT needs_so EQUAL -1)
      message(FATAL_ERROR "linked with ${PC}.pc, the program needs libweft.so")
    endif()
  endif()
  run("running the consumer" "${CMAKE_COMMAND}" -E env "LD_LIBRARY_PATH=${libdir}" "${exe}"
      "${BACKEND}")
else()
  message(FATAL_ERROR "MODE must be find_package or pkg_config")
endif()
