# Cross-compile for 64-bit Windows with mingw-w64 and run the tests under
# wine (through wine-run.sh, which sets the environment docs/toolchains.md asks for).
#   cmake -B build/win32 -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(WEFT_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${WEFT_MINGW_TRIPLE}-gcc)
set(CMAKE_RC_COMPILER ${WEFT_MINGW_TRIPLE}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${WEFT_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Packages also outside the sysroot, so that -DCMAKE_PREFIX_PATH=<where a
# cross-built weft was installed> works without re-rooting it.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)

# Executables link libgcc and winpthreads statically: otherwise wine cannot
# find libwinpthread-1.dll and the program exits 53 without a word. A weft
# DLL gets its runtime statically for the same reason.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-static")

set(CMAKE_CROSSCOMPILING_EMULATOR "${CMAKE_CURRENT_LIST_DIR}/wine-run.sh")
