# The API reference, generated from the header comments with Doxygen:
#   -DWEFT_DOCS=ON   adds the weft_docs target (html in <build>/docs/html)
#                    and, with testing, the test weft.docs that builds it.
# Any Doxygen warning fails it, so every public declaration must carry a
# comment (docs/Doxyfile.in, docs/doxygen-filter.awk).
include_guard(GLOBAL)
option(WEFT_DOCS "Add the weft_docs target: the API reference, with Doxygen" OFF)
if(NOT WEFT_DOCS)
  return()
endif()
find_program(WEFT_DOXYGEN doxygen)
find_program(WEFT_AWK NAMES awk gawk mawk)
if(NOT WEFT_DOXYGEN OR NOT WEFT_AWK)
  message(FATAL_ERROR "WEFT_DOCS=ON needs doxygen and awk (Debian: apt-get install doxygen)")
endif()
set(WEFT_DOCS_OUTPUT "${PROJECT_BINARY_DIR}/docs")
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${WEFT_DOCS_OUTPUT}/Doxyfile @ONLY)
add_custom_target(weft_docs
  COMMAND "${WEFT_DOXYGEN}" "${WEFT_DOCS_OUTPUT}/Doxyfile"
  WORKING_DIRECTORY "${WEFT_DOCS_OUTPUT}"
  COMMENT "API reference: ${WEFT_DOCS_OUTPUT}/html/index.html"
  VERBATIM)
enable_testing()
include(WeftTesting)
weft_add_test(NAME weft.docs LABELS docs TIMEOUT 120
  COMMAND "${CMAKE_COMMAND}" --build "${PROJECT_BINARY_DIR}" --target weft_docs)
