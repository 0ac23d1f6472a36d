#!/bin/sh
# build.sh SRCDIR BUILDDIR - builds the fuzz targets with clang in their
# own build tree (the test suite's compiler may be gcc, and libFuzzer is
# clang's). Exit 77 (skipped) when clang is not installed.
src=$1 dir=$2
if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: skipped, clang is not installed (deploy/install-deps)"
    exit 77
fi
CC=clang cmake -S "$src" -B "$dir" -DSK_FUZZ=ON -DSK_SANITIZE=OFF \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null || exit 1
exec cmake --build "$dir" --target fuzz_all -j2
