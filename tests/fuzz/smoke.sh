#!/bin/sh
# smoke.sh BINARY SRCDIR NAME SECONDS - one fuzz target's smoke run: its
# seed corpus (corpus/NAME) and its kept crash inputs (regress/NAME) are
# run first, then SECONDS of fuzzing. New inputs go to found/NAME beside
# the binary, never to the source tree. Exit 77 (skipped) when the target
# was not built because there is no clang.
bin=$1 src=$2 name=$3 secs=$4
if [ ! -x "$bin" ]; then
    if ! command -v clang >/dev/null 2>&1; then
        echo "fuzz/$name: skipped, clang is not installed (deploy/install-deps)"
        exit 77
    fi
    echo "fuzz/$name: $bin was not built"
    exit 1
fi
work=$(dirname "$bin")/found/$name
mkdir -p "$work"
set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
    -print_final_stats=1
[ -f "$src/$name.dict" ] && set -- "$@" -dict="$src/$name.dict"
set -- "$@" "$work" "$src/corpus/$name"
[ -d "$src/regress/$name" ] && set -- "$@" "$src/regress/$name"
ASAN_OPTIONS=detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 exec "$bin" "$@"
