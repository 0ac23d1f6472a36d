#!/usr/bin/env bash
# Runs the three benchmarks and prints a summary. See README.md here.
#
#   tests/bench/run.sh [BUILD_DIR]
#
# BUILD_DIR (default: build-bench in the source root) is configured as a
# Release build with -DSK_BENCH=ON when it has no cache yet, then built.
# Knobs (environment): ENGINE_SESSIONS, STORE_JOBS, STORE_LEVELS,
# HTTP_PHONES, HTTP_CONCURRENT; TMPDIR for the databases (use a real
# disk: on tmpfs fsync costs nothing and the store figures mean little).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build-bench}
ENGINE_SESSIONS=${ENGINE_SESSIONS:-2000}
STORE_JOBS=${STORE_JOBS:-2000}
STORE_LEVELS=${STORE_LEVELS:-1,4,16,64,256}
HTTP_PHONES=${HTTP_PHONES:-400}
HTTP_CONCURRENT=${HTTP_CONCURRENT:-50}

if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    cmake -S "$SRC" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSK_BENCH=ON \
        -DSK_SANITIZE=OFF >/dev/null
fi
if ! grep -q '^SK_BENCH:BOOL=ON' "$BUILD/CMakeCache.txt"; then
    cmake "$BUILD" -DSK_BENCH=ON >/dev/null
fi
if grep -q '^SK_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then
    echo "run.sh: note: $BUILD is a sanitizer build; figures will be slow" >&2
fi
cmake --build "$BUILD" -j2 --target sikiliza bench_engine bench_store \
    bench_http bench_asr >/dev/null

BENCH=$BUILD/tests/bench
export SK_BIN=$BUILD/sikiliza SK_SOURCE_DIR=$SRC
# lib.sh gives the free-port search, start/stop and cleanup of the e2e tests
# shellcheck source=tests/e2e/lib.sh
. "$SRC/tests/e2e/lib.sh"
sk_init bench
OUT=$SK_TMP/out
mkdir -p "$OUT"

echo "== bench_engine" >&2
"$BENCH/bench_engine" -n "$ENGINE_SESSIONS" | tee "$OUT/engine"

echo "== bench_store" >&2
"$BENCH/bench_store" -n "$STORE_JOBS" -c "$STORE_LEVELS" -d "$SK_TMP" \
    2>/dev/null | tee "$OUT/store"

echo "== bench_asr" >&2
if [ -d /usr/share/pocketsphinx/test/data/cards ]; then
    "$BENCH/bench_asr" -n "${ASR_JOBS:-40}" | tee "$OUT/asr"
else
    echo "bench_asr: skipped (pocketsphinx-testdata is not installed)" |
        tee "$OUT/asr"
fi

echo "== bench_http" >&2
SECRET=bench-$RANDOM$RANDOM
# the generic channel of sk_conf is "demo"; its send cap (600 a minute by
# default) would cut the survey short, so it is raised out of the way
sk_conf "$SK_TMP/gw" "$SECRET" "
[limits]
max_sends_per_channel_minute = 1000000"
sk_start
"$BENCH/bench_http" -u "$SK_URL" -s "$SECRET" -n demo -p "$HTTP_PHONES" \
    -c "$HTTP_CONCURRENT" -P "$SK_PID" | tee "$OUT/http"
sk_stop

echo
echo "== summary ($(uname -m), $(nproc) cores)"
awk '/messages\/s/ {print "engine  msgs/s " $2}
     /latency us/ {print "engine  latency us p50 " $4 " p99 " $6}
     /peak RSS KiB/ {print "engine  peak RSS KiB " $4}' "$OUT/engine"
awk '/^  c=/ {print "store  " $1 " jobs/s " $3 " commits/s " $5 \
              " jobs/commit " $7 " p50 ms " $11 " p99 ms " $13}' "$OUT/store"
awk '/messages\/s/ {print "http    msgs/s " $2}
     /latency ms/ {print "http    latency ms p50 " $4 " p95 " $6 " p99 " $8}
     /surveys done/ {print "http    surveys " $3 " of " $5 " errors " $7}
     /server peak RSS/ {print "http    server peak RSS KiB " $5}' "$OUT/http"
awk '/ceiling|RTF|pool of/ {print "asr     " $0}' "$OUT/asr"
