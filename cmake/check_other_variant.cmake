# cmake -DSOURCE=<weft> -DBINARY=... -DPREFIX=... -DSHARED=ON|OFF
#       [-DC_COMPILER=...] [-DTOOLCHAIN=...] [-DBACKEND=...] [-DBUILD_TYPE=...]
#       [-DGENERATOR=...] -P check_other_variant.cmake
# Builds the library alone as the other variant (static beside a shared
# install, or shared beside a static one) and installs it into the same
# PREFIX, so that the consumer checks can pick either.
cmake_minimum_required(VERSION 3.20)

include("${CMAKE_CURRENT_LIST_DIR}/check_run.cmake")

file(REMOVE_RECURSE "${BINARY}")
set(args -S "${SOURCE}" -B "${BINARY}" "-DBUILD_SHARED_LIBS=${SHARED}" -DWEFT_BUILD_TESTS=OFF
         -DWEFT_BUILD_EXAMPLES=OFF -DWEFT_BUILD_BENCH=OFF "-DWEFT_BACKEND=${BACKEND}"
         "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
if(GENERATOR)
  list(APPEND args -G "${GENERATOR}")
endif()
if(TOOLCHAIN)
  list(APPEND args "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}")
elseif(C_COMPILER)
  list(APPEND args "-DCMAKE_C_COMPILER=${C_COMPILER}")
endif()
run("configuring the other variant" "${CMAKE_COMMAND}" ${args})
run("building the other variant" "${CMAKE_COMMAND}" --build "${BINARY}" -j 2)
run("installing the other variant" "${CMAKE_COMMAND}" --install "${BINARY}" --prefix "${PREFIX}")
