# Install rules: the library, its headers, a CMake package (weft::weft), a
# pkg-config file, the licence and the changelog. The package and the .pc
# files record the backend chosen at configure time.
#
# A static and a shared build can be installed into the same prefix, in
# either order (libweft.a beside libweft.so, or libweft.dll.a + the DLL):
#   CMake       each variant exports its own target, weft::weft_static or
#               weft::weft_shared (weft-<variant>-targets.cmake); the one
#               weftConfig.cmake picks the shared one when it is there, the
#               static one for find_package(weft COMPONENTS static) or
#               -DWEFT_USE_STATIC=ON, and names it weft::weft.
#   pkg-config  weft.pc is the shared library when one is installed (the
#               static install leaves a shared weft.pc alone), else the
#               static one with Libs.private; weft-static.pc always names
#               the archive itself, so it links statically beside a .so.
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
  set(WEFT_VARIANT static)
  set(WEFT_STATIC_BUILD ON)
else()
  set(WEFT_VARIANT shared)
  set(WEFT_STATIC_BUILD OFF)
endif()
if("Threads::Threads" IN_LIST WEFT_PORT_LIBRARIES)
  set(WEFT_NEEDS_THREADS ON)
else()
  set(WEFT_NEEDS_THREADS OFF)
endif()
# MSVC names a DLL's import library weft.lib, as it would the static one.
if(MSVC AND WEFT_VARIANT STREQUAL "static")
  set_target_properties(weft PROPERTIES OUTPUT_NAME weft_static)
endif()
set_target_properties(weft PROPERTIES EXPORT_NAME weft_${WEFT_VARIANT})

install(TARGETS weft EXPORT weft-${WEFT_VARIANT}-targets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}   # the DLL on Windows
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}   # static lib or import lib
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/weft.h ${WEFT_GENERATED_INCLUDE_DIR}/weft_version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The optional C11 names: <weft/threads.h>.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/weft
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/CHANGELOG.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})   # share/doc/weft

# ---- CMake package: find_package(weft) -> weft::weft ----------------------
install(EXPORT weft-${WEFT_VARIANT}-targets
  NAMESPACE weft::
  FILE weft-${WEFT_VARIANT}-targets.cmake
  DESTINATION ${WEFT_INSTALL_CMAKEDIR})
configure_file(${CMAKE_CURRENT_LIST_DIR}/weft-variant.cmake.in
  ${PROJECT_BINARY_DIR}/weft-${WEFT_VARIANT}.cmake @ONLY)
# The same file from either variant's install.
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
  ${PROJECT_BINARY_DIR}/weft-${WEFT_VARIANT}.cmake
  DESTINATION ${WEFT_INSTALL_CMAKEDIR})

# ---- pkg-config: weft.pc, weft-static.pc ----------------------------------
# Paths are relative to the .pc file, so the installed tree can be moved.
set(_weft_pcdir "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
cmake_path(ABSOLUTE_PATH _weft_pcdir BASE_DIRECTORY "${CMAKE_INSTALL_PREFIX}"
           OUTPUT_VARIABLE _weft_pcdir_full)
file(RELATIVE_PATH _weft_pc_to_prefix "${_weft_pcdir_full}" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" _weft_pc_to_prefix "${_weft_pc_to_prefix}")
set(WEFT_PC_PREFIX "\${pcfiledir}/${_weft_pc_to_prefix}")
file(RELATIVE_PATH WEFT_PC_LIBDIR_REL "${CMAKE_INSTALL_PREFIX}" "${CMAKE_INSTALL_FULL_LIBDIR}")
file(RELATIVE_PATH WEFT_PC_INCLUDEDIR_REL "${CMAKE_INSTALL_PREFIX}" "${CMAKE_INSTALL_FULL_INCLUDEDIR}")

if(WEFT_VARIANT STREQUAL "shared")
  set(WEFT_PC_NAME weft)
  set(WEFT_PC_CFLAGS "-DWEFT_SHARED")
  set(WEFT_PC_LIBS_PUBLIC "-L\${libdir} -lweft")
  set(WEFT_PC_LIBS_PRIVATE "${WEFT_PC_LIBS}")
  configure_file(${CMAKE_CURRENT_LIST_DIR}/weft.pc.in ${PROJECT_BINARY_DIR}/weft.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/weft.pc DESTINATION ${_weft_pcdir})
else()
  # weft-static.pc: the archive by its path, so that a libweft.so beside it
  # cannot be picked instead.
  get_target_property(_weft_output_name weft OUTPUT_NAME)
  if(NOT _weft_output_name)
    set(_weft_output_name weft)
  endif()
  set(WEFT_PC_NAME weft-static)
  set(WEFT_PC_CFLAGS "")
  set(WEFT_PC_LIBS_PUBLIC "\${libdir}/${CMAKE_STATIC_LIBRARY_PREFIX}${_weft_output_name}${CMAKE_STATIC_LIBRARY_SUFFIX} ${WEFT_PC_LIBS}")
  set(WEFT_PC_LIBS_PRIVATE "")
  configure_file(${CMAKE_CURRENT_LIST_DIR}/weft.pc.in ${PROJECT_BINARY_DIR}/weft-static.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/weft-static.pc DESTINATION ${_weft_pcdir})
  # weft.pc for a prefix with only the static library: -lweft, with the
  # backend's libraries for pkg-config --static. It does not replace the
  # weft.pc of a shared weft installed there already.
  set(WEFT_PC_NAME weft)
  set(WEFT_PC_LIBS_PUBLIC "-L\${libdir} -l${_weft_output_name}")
  set(WEFT_PC_LIBS_PRIVATE "${WEFT_PC_LIBS}")
  configure_file(${CMAKE_CURRENT_LIST_DIR}/weft.pc.in ${PROJECT_BINARY_DIR}/weft.pc @ONLY)
  install(CODE "
    set(_weft_pc \"\${CMAKE_INSTALL_PREFIX}/${_weft_pcdir}/weft.pc\")
    set(_weft_shared_there OFF)
    if(EXISTS \"\$ENV{DESTDIR}\${_weft_pc}\")
      file(STRINGS \"\$ENV{DESTDIR}\${_weft_pc}\" _weft_variant REGEX \"^variant=shared\$\")
      if(_weft_variant)
        set(_weft_shared_there ON)
      endif()
    endif()
    if(_weft_shared_there)
      message(STATUS \"Keeping: \$ENV{DESTDIR}\${_weft_pc} (the shared weft's)\")
    else()
      file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${_weft_pcdir}\" TYPE FILE
           FILES \"${PROJECT_BINARY_DIR}/weft.pc\")
    endif()")
endif()
