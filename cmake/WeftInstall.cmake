# Install rules: the library, its header, a CMake package (weft::weft) and a
# pkg-config file. Both record the backend chosen at configure time.
# Included at the end of the top-level CMakeLists.txt, after the weft target.
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Install rules by default only when weft is the top-level project, not
# when it is pulled in with add_subdirectory or FetchContent.
if(CMAKE_SOURCE_DIR STREQUAL PROJECT_SOURCE_DIR)
  set(_weft_top_level ON)
else()
  set(_weft_top_level OFF)
endif()
option(WEFT_INSTALL "Generate weft's install rules" ${_weft_top_level})
if(NOT WEFT_INSTALL)
  return()
endif()

set(WEFT_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/weft" CACHE STRING
    "Where weftConfig.cmake goes, relative to the install prefix")
mark_as_advanced(WEFT_INSTALL_CMAKEDIR)

# A static weft carries its backend's libraries into every consumer's link;
# a shared one only where its interface names them.
get_target_property(_weft_type weft TYPE)
if(_weft_type STREQUAL "STATIC_LIBRARY")
  set(WEFT_STATIC_BUILD ON)
else()
  set(WEFT_STATIC_BUILD OFF)
endif()
if("Threads::Threads" IN_LIST WEFT_PORT_LIBRARIES)
  set(WEFT_NEEDS_THREADS ON)
else()
  set(WEFT_NEEDS_THREADS OFF)
endif()

install(TARGETS weft EXPORT weftTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}   # the DLL on Windows
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}   # static lib or import lib
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/weft.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The optional C11 names: <weft/threads.h>.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/weft
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# ---- CMake package: find_package(weft) -> weft::weft ----------------------
install(EXPORT weftTargets
  NAMESPACE weft::
  FILE weftTargets.cmake
  DESTINATION ${WEFT_INSTALL_CMAKEDIR})
configure_package_config_file(
  ${CMAKE_CURRENT_LIST_DIR}/weftConfig.cmake.in
  ${PROJECT_BINARY_DIR}/weftConfig.cmake
  INSTALL_DESTINATION ${WEFT_INSTALL_CMAKEDIR}
  NO_SET_AND_CHECK_MACRO)
# Before 1.0 a minor release may break the API.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_weft_compatibility SameMinorVersion)
else()
  set(_weft_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY ${_weft_compatibility})
install(FILES
  ${PROJECT_BINARY_DIR}/weftConfig.cmake
  ${PROJECT_BINARY_DIR}/weftConfigVersion.cmake
  DESTINATION ${WEFT_INSTALL_CMAKEDIR})

# ---- pkg-config: weft.pc --------------------------------------------------
# Paths are relative to the .pc file, so the installed tree can be moved.
set(_weft_pcdir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
cmake_path(ABSOLUTE_PATH _weft_pcdir BASE_DIRECTORY "${CMAKE_INSTALL_PREFIX}"
           OUTPUT_VARIABLE _weft_pcdir_full)
file(RELATIVE_PATH _weft_pc_to_prefix "${_weft_pcdir_full}" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" _weft_pc_to_prefix "${_weft_pc_to_prefix}")
set(WEFT_PC_PREFIX "\${pcfiledir}/${_weft_pc_to_prefix}")
file(RELATIVE_PATH WEFT_PC_LIBDIR_REL "${CMAKE_INSTALL_PREFIX}" "${CMAKE_INSTALL_FULL_LIBDIR}")
file(RELATIVE_PATH WEFT_PC_INCLUDEDIR_REL "${CMAKE_INSTALL_PREFIX}" "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
if(WEFT_STATIC_BUILD)
  set(WEFT_PC_CFLAGS "-DWEFT_STATIC")
else()
  set(WEFT_PC_CFLAGS "")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/weft.pc.in ${PROJECT_BINARY_DIR}/weft.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/weft.pc DESTINATION ${_weft_pcdir})
