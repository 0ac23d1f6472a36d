#!/usr/bin/env bash
# `sikiliza flow check` reports the SMS cost of every message: texts over
# --max-segments are listed per flow, node and language, each file gets a
# summary line, and warnings alone leave the exit code at 0.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init flowcost
sk_need_command flow

EX=$SK_SOURCE_DIR/flows/examples
OUT=$SK_TMP/out
rc=0
sk_bin flow check --max-segments 1 "$EX/wellbeing_check.json" >"$OUT" 2>&1 ||
    rc=$?
[ "$rc" = 0 ] || sk_fail "warnings changed the exit code to $rc: $(cat "$OUT")"
grep -Eq '^.*wellbeing_check\.json: flow "Wellbeing Check": node ("[^"]+"|[0-9]+) \(uuid [0-9a-f-]{36}\): ara: [0-9]+ segments \(UCS-2, [0-9]+ chars\)$' "$OUT" ||
    sk_fail "no per-message warning: $(cat "$OUT")"
grep -Eq 'wellbeing_check\.json: [0-9]+ messages, 3 languages, most segments: [0-9]+; [0-9]+ over 1$' "$OUT" ||
    sk_fail "no summary line: $(cat "$OUT")"

# With the default limit the summary is there and nothing is over it.
sk_bin flow check --max-segments=9 "$EX" >"$OUT" 2>&1 ||
    sk_fail "flow check failed: $(cat "$OUT")"
[ "$(grep -c 'most segments' "$OUT")" -ge 3 ] || sk_fail "one summary per file: $(cat "$OUT")"
if grep -q ' over ' "$OUT"; then
    sk_fail "texts over 9 segments reported: $(cat "$OUT")"
fi

rc=0
sk_bin flow check --max-segments 0 "$EX" >"$OUT" 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "--max-segments 0: exit $rc, expected 2"
sk_log ok
