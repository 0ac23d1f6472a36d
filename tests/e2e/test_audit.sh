#!/usr/bin/env bash
# `sikiliza audit -c FILE` lists the audit log, also while `serve` runs
# (it opens the store beside the writer, without the writer's lock), and
# refuses usage and config errors with the documented exit codes.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init audit
sk_need_command serve keygen audit

GW=$SK_TMP/gw
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"

# Usage: no -c is a usage error (2), a missing config invalid input (1).
rc=0
sk_bin audit >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "audit without -c: exit $rc, want 2"
rc=0
sk_bin audit -c "$SK_TMP/nope.conf" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || sk_fail "audit with a missing config: exit $rc, want 1"
sk_bin audit --help | grep -q 'usage: sikiliza audit' ||
    sk_fail "audit --help does not show its usage"

sk_start
# An empty log while serving: exit 0, nothing printed.
out=$(sk_bin audit -c "$SK_CONF") || sk_fail "audit beside serve failed"
[ -z "$out" ] || sk_fail "a fresh store has audit rows: $out"

# Rows written by another process appear, in order, one per line, with a
# tab inside a field flattened so that a row stays one line.
sk_sql "INSERT INTO audit (at, actor, action, subject, reason) VALUES
        (86400000, 'cli:ana', 'export', 'csv', NULL),
        (172800000, 'cli:ben', 'reveal', 'alert 3', 'risk'||char(9)||'now');"
out=$(sk_bin audit -c "$SK_CONF") || sk_fail "audit failed"
want=$(printf '1\t1970-01-02T00:00:00Z\tcli:ana\texport\tcsv\t\n2\t1970-01-03T00:00:00Z\tcli:ben\treveal\talert 3\trisk now')
[ "$out" = "$want" ] || sk_fail "audit printed: $out"
sk_alive
sk_stop
sk_log "ok"
