# Cross toolchain for linux-arm64 (Debian/Ubuntu: gcc-aarch64-linux-gnu,
# libc6-dev-arm64-cross, qemu-user).
#   cmake -S native -B native/build/linux-arm64 \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-aarch64.cmake -DCMAKE_BUILD_TYPE=Release
# (CMake resolves a relative toolchain path against the build tree, then the source
#  tree given by -S -- never the current directory -- so from the repository root use
#  cmake/toolchain-aarch64.cmake or an absolute path.)
#   cmake --build native/build/linux-arm64 -j2
#   ctest --test-dir native/build/linux-arm64     (runs the tests under qemu-aarch64)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(MNA_AARCH64_PREFIX "aarch64-linux-gnu" CACHE STRING "Cross compiler triplet prefix")
set(MNA_AARCH64_SYSROOT "/usr/${MNA_AARCH64_PREFIX}" CACHE PATH "Target libraries (qemu -L and find root)")

set(CMAKE_C_COMPILER ${MNA_AARCH64_PREFIX}-gcc)

set(CMAKE_FIND_ROOT_PATH ${MNA_AARCH64_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest / add_test run target executables through this emulator.
find_program(MNA_QEMU_AARCH64 NAMES qemu-aarch64 qemu-aarch64-static)
if(NOT MNA_QEMU_AARCH64)
  set(MNA_QEMU_AARCH64 qemu-aarch64)
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR ${MNA_QEMU_AARCH64} -L ${MNA_AARCH64_SYSROOT})
