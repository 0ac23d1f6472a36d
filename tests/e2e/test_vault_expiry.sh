#!/usr/bin/env bash
# A reply address is kept in the vault vault_days after the last contact
# and then deleted: the running gateway removes an expired vault entry
# (not just stops reading it) while it keeps the ones still in date.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init vault_expiry
sk_need_command serve keygen

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"
sk_start

# say FROM ID: one inbound SMS on the generic channel, answered with 200.
say() {
    local code
    code=$(sk_http "$WORK/$2.json" \
        --data-urlencode "from=$1" --data-urlencode "text=hi" \
        --data-urlencode "id=$2" \
        "$SK_URL/c/demo/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "message $2: HTTP $code"
}

say +254700000011 v1
say +254700000012 v2
[ "$(sk_count vault)" = 2 ] || sk_fail "expected 2 vault entries"

# The first contact's entry runs out (as vault_days after its last
# message would); the writer connection shares the file (WAL).
db=$(sed -n 's/^path *= *//p' "$SK_CONF" | head -n 1)
sqlite3 -batch -cmd '.timeout 5000' "$db" \
    "UPDATE vault SET expires_at = 1 WHERE rowid =
       (SELECT min(rowid) FROM vault);" ||
    sk_fail "cannot age the vault entry"

# The sweep runs every second; wait far longer, for a loaded machine.
deadline=$((SECONDS + 30))
while [ "$(sk_count vault)" != 1 ] && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.1
done
[ "$(sk_count vault)" = 1 ] ||
    sk_fail "the expired vault entry was not deleted ($(sk_count vault) left)"
[ "$(sk_sql "SELECT count(*) FROM vault WHERE expires_at = 1;")" = 0 ] ||
    sk_fail "the entry left is the expired one"
sk_alive || sk_fail "the gateway stopped"
sk_stop
sk_log "ok"
