# cmake -DPREFIX=... "-DFILES=a;b" -P check_install.cmake
# Each of FILES (paths under PREFIX, globs allowed) must have been installed.
cmake_minimum_required(VERSION 3.20)
set(missing "")
foreach(f IN LISTS FILES)
  file(GLOB found "${PREFIX}/${f}")
  if(NOT found)
    list(APPEND missing "${f}")
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "not installed in ${PREFIX}: ${missing}")
endif()
message("installed: ${FILES}")
