# cmake -DSOURCE=<weft> -DPROJECT=tests/embed -DBINARY=... -DMODE=plugin|subproject
#       [-DC_COMPILER=...] [-DGENERATOR=...] -P check_embed.cmake
#
# plugin      weft by add_subdirectory; everything compiled -fno-pie (as by a
#             compiler whose default is not PIE), so only weft's own -fPIC
#             lets the static library link into the project's shared
#             library. Build and run the host.
# subproject  weft by FetchContent with its tests, examples and benchmarks,
#             beside the project's own targets named demo, tests, events...
#             Configure and build must pass; ctest -L weft must list weft's
#             tests only and ctest -LE weft the project's only; the
#             project's tests, the host and one of weft's examples must pass.
cmake_minimum_required(VERSION 3.20)

include("${CMAKE_CURRENT_LIST_DIR}/check_run.cmake")

file(REMOVE_RECURSE "${BINARY}")
set(args -S "${PROJECT}" -B "${BINARY}" "-DWEFT_SOURCE=${SOURCE}" -DCMAKE_BUILD_TYPE=Debug)
if(GENERATOR)
  list(APPEND args -G "${GENERATOR}")
endif()
if(C_COMPILER)
  list(APPEND args "-DCMAKE_C_COMPILER=${C_COMPILER}")
endif()
if(MODE STREQUAL "plugin")
  list(APPEND args -DEMBED_FETCH=OFF -DCMAKE_C_FLAGS=-fno-pie -DCMAKE_EXE_LINKER_FLAGS=-no-pie)
elseif(MODE STREQUAL "subproject")
  list(APPEND args -DEMBED_FETCH=ON)
else()
  message(FATAL_ERROR "MODE must be plugin or subproject")
endif()
run("configuring the embedding project" "${CMAKE_COMMAND}" ${args})
run("building the embedding project" "${CMAKE_COMMAND}" --build "${BINARY}" -j 2)

if(MODE STREQUAL "plugin")
  run("running the host" "${CMAKE_CTEST_COMMAND}" --test-dir "${BINARY}" -R "^embed_host$"
      --output-on-failure)
  return()
endif()

run("listing weft's tests" "${CMAKE_CTEST_COMMAND}" --test-dir "${BINARY}" -N -L "^weft$")
string(REGEX MATCH "Total Tests: ([0-9]+)" _ "${run_out}")
set(n_weft "${CMAKE_MATCH_1}")
run("listing the project's tests" "${CMAKE_CTEST_COMMAND}" --test-dir "${BINARY}" -N -LE "^weft$")
string(REGEX MATCHALL "Test +#[0-9]+: [^\n]+" ours "${run_out}")
string(REGEX REPLACE "Test +#[0-9]+: " "" ours "${ours}")
list(SORT ours)
if(n_weft LESS 100 OR NOT ours STREQUAL "demo;embed_host;tests")
  message(FATAL_ERROR "weft's tests are not all labelled weft: ${n_weft} labelled, "
                      "unlabelled: ${ours}")
endif()
run("running the project's tests and one of weft's" "${CMAKE_CTEST_COMMAND}" --test-dir
    "${BINARY}" -R "^(demo|tests|embed_host|example\\.demo)$" --output-on-failure)
message("${n_weft} weft tests, all labelled weft; the project's own: ${ours}")
