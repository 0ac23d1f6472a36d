#!/usr/bin/env bash
# At the open-file limit the gateway pauses accepting instead of spinning:
# run under `ulimit -n 64`, hold more connections than that, and check
# that it uses little CPU, that the log grows by a few lines only, and
# that providers are served once the connections are gone.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init fdlimit
sk_need_command serve keygen

GW=$SK_TMP/gw
mkdir -p "$GW"
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"
REAL_BIN=$SK_BIN
SK_BIN=$SK_TMP/limited
printf '#!/bin/sh\nulimit -n 64 || exit 3\nexec "%s" "$@"\n' "$REAL_BIN" \
    >"$SK_BIN"
chmod +x "$SK_BIN"
sk_start
RECEIVE="/c/demo/receive?secret=$SECRET"

# cpu_ticks: user + system clock ticks the gateway has used so far.
cpu_ticks() {
    local stat
    stat=$(cat "/proc/$SK_PID/stat")
    stat=${stat##*) }
    # fields after "(comm) ": state is 1, utime 12, stime 13
    awk '{ print $12 + $13 }' <<<"$stat"
}

lines_before=$(wc -l <"$SK_LOG")
fds=()
for ((i = 0; i < 120; i++)); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$SK_PORT" || sk_fail "connect $i failed"
    fds+=("$fd")
done
sleep 1
t0=$(cpu_ticks)
sleep 3
t1=$(cpu_ticks)
hz=$(getconf CLK_TCK)
used=$(((t1 - t0) * 100 / (3 * hz)))
sk_log "CPU while 120 connections wait at a 64-file limit: ${used}% of a core"
[ "$used" -lt 30 ] || sk_fail "the gateway used ${used}% of a core at the limit"
grown=$(($(wc -l <"$SK_LOG") - lines_before))
sk_log "log lines meanwhile: $grown"
[ "$grown" -le 5 ] || sk_fail "the log grew by $grown lines at the limit"
grep -q 'cannot accept connections: Too many open files' "$SK_LOG" ||
    sk_fail "the accept failures were not reported"

for fd in "${fds[@]}"; do
    exec {fd}>&-
done
code=
for ((i = 0; i < 50; i++)); do
    code=$(sk_http "$SK_TMP/out" --max-time 5 -d from=+254700000009 \
        -d text=hi -d id=fd1 "$SK_URL$RECEIVE")
    [ "$code" != 200 ] || break
    sleep 0.2
done
[ "$code" = 200 ] || sk_fail "after the connections closed a provider got $code"
sk_stop
sk_log "ok"
