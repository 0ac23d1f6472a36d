#!/bin/bash
# run.sh [SECONDS] [NAME...] - long fuzzing runs: every target (or the
# NAMEs given) for SECONDS each (default 3600), as many at a time as there
# are cores. Builds the targets with clang in build-fuzz/ (or
# $SK_FUZZ_BUILD) first. What each finds goes to build-fuzz/found/NAME (a
# growing corpus, kept between runs), crash inputs to
# build-fuzz/crashes/NAME, logs to build-fuzz/logs/NAME.log. Prints one
# line per target (exec/s, crashes) and exits 1 when any crashed.
set -u
cd "$(dirname "$0")/../.." || exit 3
secs=${1:-3600}
[ $# -gt 0 ] && shift
dir=${SK_FUZZ_BUILD:-build-fuzz}
jobs=$(nproc 2>/dev/null || echo 2)
src=tests/fuzz
sh $src/build.sh . "$dir" >/dev/null || exit $?
if [ $# -gt 0 ]; then
    names=$*
else
    names=$(cd "$dir/tests/fuzz" && ls fuzz_* | sed 's/^fuzz_//')
fi
mkdir -p "$dir/logs"

one() {
    local name=$1 log=$dir/logs/$1.log rc
    mkdir -p "$dir/found/$name" "$dir/crashes/$name"
    set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$dir/crashes/$name/"
    [ -f "$src/$name.dict" ] && set -- "$@" -dict="$src/$name.dict"
    set -- "$@" "$dir/found/$name" "$src/corpus/$name"
    [ -d "$src/regress/$name" ] && set -- "$@" "$src/regress/$name"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "$dir/tests/fuzz/fuzz_$name" "$@" >"$log" 2>&1
    rc=$?
    echo "$name: rc=$rc" \
        "exec/s=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")" \
        "corpus=$(ls "$dir/found/$name" | wc -l)" \
        "crashes=$(ls "$dir/crashes/$name" | wc -l)"
}

running=0
for name in $names; do
    one "$name" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
for name in $names; do
    [ -n "$(ls "$dir/crashes/$name")" ] && exit 1
done
exit 0
