#!/usr/bin/env bash
# DELETE erases, and the retention purge purges, from the database file
# and its WAL at once, while the gateway runs.
#
# - One child, one key: with [flows] country = KE, messages from
#   +254712345678, 254712345678 and 0712 345 678 are one contact.
# - The child answers the Wellbeing Check with unique seeded strings and
#   sends DELETE from yet another form of the number. While serve still
#   runs, the bytes of sikiliza.db, -wal and -shm hold none of the seeded
#   strings, the contact key or the provider's message ids; no row holds
#   them; another child's answers are intact.
# - The DELETE's confirmation is sent once: a provider retry of the DELETE
#   is answered as before and not processed again, on a channel that
#   replies in the webhook response and on one that sends through the
#   outbox (Africa's Talking, its API a local fake), where the ids the
#   provider gave the messages sent to the child go too.
# - "stop delete" erases too.
# - Retention: rows older than retention_days go, newer stay, by
#   `sikiliza purge` beside the running gateway and by serve's own timer;
#   the purge is audited and the seeded bytes of the purged answers are
#   gone from the files as well.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init erase
sk_need_command serve keygen purge audit
# shellcheck source=tests/e2e/fakeprovider_lib.sh
. "$(dirname "$0")/fakeprovider_lib.sh"

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
AT_USER=sandbox
AT_KEY=at-key-$RANDOM$RANDOM
SHORT=2$RANDOM
R=$RANDOM$RANDOM

fp_start -a "$AT_USER:$AT_KEY" -s "$SHORT"
sk_conf "$GW" "$SECRET" "
[channel at]
type = africastalking
secret = $SECRET
username = $AT_USER
api_key = $AT_KEY
number = $SHORT
api_url = $FP_URL

[outbox]
backoff_base_ms = 200
poll_ms = 50"
sed -i "s/^default = Wellbeing Check$/&\ncountry = KE/" "$SK_CONF"
grep -q '^country = KE$' "$SK_CONF" || sk_fail "cannot set [flows] country"
DB=$GW/sikiliza.db
sk_start

# say FROM ID TEXT: an SMS on the generic channel; the reply is in
# $WORK/ID.json (a retry of ID keeps the first in $WORK/ID.first).
say() {
    local code
    [ ! -f "$WORK/$2.json" ] || cp "$WORK/$2.json" "$WORK/$2.first"
    code=$(sk_http "$WORK/$2.json" \
        --data-urlencode "from=$1" --data-urlencode "text=$3" \
        --data-urlencode "id=$2" \
        "$SK_URL/c/demo/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "message $2: HTTP $code: $(cat "$WORK/$2.json")"
}

# at_say FROM ID TEXT: an SMS as Africa's Talking posts it.
at_say() {
    local code
    code=$(sk_http "$WORK/$2.out" --data-urlencode "from=$1" \
        --data-urlencode "to=$SHORT" --data-urlencode "text=$3" \
        --data-urlencode "id=$2" --data-urlencode "linkId=L-$2" \
        --data-urlencode "date=$(date -u '+%Y-%m-%d %H:%M:%S')" \
        --data-urlencode "networkCode=63902" \
        "$SK_URL/c/at/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "AT message $2: HTTP $code"
}

replies() {
    jq -r '.messages | join("\n")' "$WORK/$1.json"
}

# in_files NEEDLE: how many of the database, its WAL and its shm hold
# NEEDLE's bytes (read as they are on disk, with the gateway running).
in_files() {
    local f n=0
    for f in "$DB" "$DB-wal" "$DB-shm"; do
        if [ -f "$f" ] && grep -qaF -- "$1" "$f"; then
            n=$((n + 1))
        fi
    done
    echo "$n"
}

# every_row_with TEXT: rows of any table with TEXT in any column.
every_row_with() {
    local t c n total=0
    for t in $(sk_sql "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%';"); do
        for c in $(sk_sql "SELECT name FROM pragma_table_info('$t');"); do
            n=$(sk_sql "SELECT count(*) FROM \"$t\" WHERE CAST(\"$c\" AS TEXT) LIKE '%$1%';")
            total=$((total + n))
        done
    done
    echo "$total"
}

# --- one child, one key, answering with seeded strings -----------------------
A1=zqa${R}one
A2=zqa${R}two
A3=zqa${R}three
A4=zqa${R}four
B1=zqb${R}one
B2=zqb${R}two
B3=zqb${R}three
IDA=SMa$R

say +254712345678 "${IDA}1" "hi"
sk_contains "$(replies "${IDA}1")" "Reply 1 English" "first reply"
KA=$(sk_sql "SELECT key FROM contacts;")
[ ${#KA} = 64 ] || sk_fail "no contact key stored: $KA"
say 254712345678 "${IDA}2" "1"
sk_contains "$(replies "${IDA}2")" "How safe do you feel" "second reply"
say "0712 345 678" "${IDA}3" "3 $A1"
sk_contains "$(replies "${IDA}3")" "Where did you sleep" "third reply"
say 0712-345-678 "${IDA}4" "3 $A2 camp"
say +254712345678 "${IDA}5" "$A3"
say 254712345678 "${IDA}6" "yes"
say +254712345678 "${IDA}7" "1"
say 0712345678 "${IDA}8" "4"
say +254712345678 "${IDA}9" "$A4 and more"
sk_contains "$(replies "${IDA}9")" "Thank you for sharing" "last reply"
[ "$(sk_count contacts)" = 1 ] ||
    sk_fail "one number in three forms made $(sk_count contacts) contacts"
[ "$(sk_sql "SELECT count(*) FROM results WHERE contact_key = '$KA';")" -ge 6 ] ||
    sk_fail "the answers were not stored under one key"

# another child, whose data must stay
say +254799000111 SMb${R}1 "hi"
KB=$(sk_sql "SELECT key FROM contacts WHERE key <> '$KA';")
say +254799000111 SMb${R}2 "1"
say +254799000111 SMb${R}3 "3 $B1"
say +254799000111 SMb${R}4 "3 $B2 camp"
say +254799000111 SMb${R}5 "$B3"

# the scan can see what it looks for: the bytes are there before DELETE
for s in "$A1" "$A2" "$A3" "$A4" "$KA" "${IDA}3"; do
    [ "$(in_files "$s")" -ge 1 ] || sk_fail "the scan does not find \"$s\" before DELETE"
done
[ -s "$DB-wal" ] || sk_fail "no WAL to scan"

# --- DELETE, from yet another form of the number ---------------------------
say "+254 712-345-678" "${IDA}d" "Delete!"
[ "$(jq -r '.messages | length' "$WORK/${IDA}d.json")" = 1 ] ||
    sk_fail "DELETE: expected one confirmation, got $(cat "$WORK/${IDA}d.json")"
sk_contains "$(replies "${IDA}d")" "has been deleted" "DELETE reply"
sk_alive
# while serve runs: no byte of the child in the file, the WAL or the shm
for s in "$A1" "$A2" "$A3" "$A4" "$KA" "${KA:0:32}" "${KA:32}"; do
    [ "$(in_files "$s")" = 0 ] || sk_fail "\"$s\" is still in the database files after DELETE"
done
for i in 1 2 3 4 5 6 7 8 9 d; do
    [ "$(in_files "${IDA}$i")" = 0 ] ||
        sk_fail "the provider's id ${IDA}$i is still in the database files"
done
[ "$(every_row_with "$KA")" = 0 ] || sk_fail "rows with the contact key remain"
[ "$(every_row_with "zqa$R")" = 0 ] || sk_fail "rows with the child's answers remain"
[ "$(every_row_with "$IDA")" = 0 ] || sk_fail "rows with the provider's ids remain"
# the DELETE's own dedupe row: a keyed hash, no key, its time a day
[ "$(sk_sql "SELECT count(*) FROM inbound WHERE contact_key = '' AND external_id LIKE '#%' AND received_at % 86400000 = 0;")" = 1 ] ||
    sk_fail "the DELETE is not kept for dedupe as a hash with no key and no time"
# the other child is intact, on disk too
[ "$(sk_sql "SELECT count(*) FROM results WHERE contact_key = '$KB';")" -ge 3 ] ||
    sk_fail "the other child's answers went"
[ "$(sk_sql "SELECT count(*) FROM contacts WHERE key = '$KB';")" = 1 ] ||
    sk_fail "the other child's session went"
[ "$(in_files "$B1")" -ge 1 ] || sk_fail "the other child's answer is not on disk"

# a provider retry of the DELETE: the same answer, nothing processed again
inbound_before=$(sk_count inbound)
say "+254 712-345-678" "${IDA}d" "Delete!"
cmp -s "$WORK/${IDA}d.first" "$WORK/${IDA}d.json" ||
    sk_fail "the retried DELETE got another reply: $(cat "$WORK/${IDA}d.json")"
[ "$(sk_count inbound)" = "$inbound_before" ] || sk_fail "the retried DELETE was stored again"
[ "$(grep -c "status=duplicate" "$SK_LOG")" -ge 1 ] ||
    sk_fail "the retried DELETE was not taken as a duplicate"
[ "$(grep -c "status=erased" "$SK_LOG")" = 1 ] || sk_fail "the DELETE was processed twice"

# "stop delete": both words, the stronger wins
say +254700555001 SMc${R}1 "hi"
KC=$(sk_sql "SELECT key FROM contacts WHERE key NOT IN ('$KB');")
say +254700555001 SMc${R}2 "stop delete"
sk_contains "$(replies "SMc${R}2")" "has been deleted" "\"stop delete\" reply"
[ "$(every_row_with "$KC")" = 0 ] || sk_fail "\"stop delete\" did not erase"

# --- on a channel that sends through the outbox: sent once -----------------
PH_AT=+254733000222
at_say "$PH_AT" ATXid_e${R}1 "hi"
wait_until 20 "the first question" \
    grep -qF "Reply 1 English, 2 Français, 3 العربية" "$FP_OUT"
at_say "$PH_AT" ATXid_e${R}2 "2"
wait_until 20 "the French question" \
    grep -qF "On ne te demande jamais ton nom" "$FP_OUT"
at_say "$PH_AT" ATXid_e${R}3 "Supprimer"
CONFIRM="Tout ce que tu nous as envoyé a été effacé. Tu ne recevras plus de messages."
wait_until 20 "the confirmation" has_sent africastalking "$PH_AT" "$CONFIRM"
at_say "$PH_AT" ATXid_e${R}3 "Supprimer" # the provider's retry
sleep 2 # more than the outbox needs to send what was queued
[ "$(sent_count africastalking "$PH_AT" "$CONFIRM")" = 1 ] ||
    sk_fail "the confirmation was sent $(sent_count africastalking "$PH_AT" "$CONFIRM") times"
for i in 1 2 3; do
    [ "$(in_files "ATXid_e${R}$i")" = 0 ] ||
        sk_fail "the provider's id ATXid_e${R}$i is still in the database files"
done
# nor the ids the provider gave the messages sent to the child (the
# confirmation's own, under its one-time key, waits for the purge)
n_ids=0
for id in $(fp_requests africastalking "$PH_AT" | awk -F '\t' '$7 != "" { print $7 }'); do
    [ "$(sk_sql "SELECT count(*) FROM outbox WHERE external_id = '$id' AND text = '$CONFIRM';")" = 0 ] ||
        continue
    n_ids=$((n_ids + 1))
    [ "$(in_files "$id")" = 0 ] ||
        sk_fail "the provider's id $id of a message to the child is still in the files"
done
[ "$n_ids" -ge 3 ] || sk_fail "the fake gave $n_ids message ids, want 3 or more"
[ "$(grep -c "status=erased" "$SK_LOG")" = 3 ] || sk_fail "an erasure was processed twice"

# --- retention: sikiliza purge beside the running gateway --------------------
# serve's own purge runs a few seconds after start: let it pass first
wait_until 30 "serve's first purge" grep -q "purge: retention_days=" "$SK_LOG"
age() { # SQL: makes rows old, through the shell (the WAL is shared)
    sqlite3 -batch -cmd '.timeout 5000' "$DB" "$1" || sk_fail "cannot age rows: $1"
}
# the other child's first answer and message are old, and so is its
# session (last heard long ago): the session holds every answer too
age "UPDATE results SET created_at = 1000 WHERE input = '3 $B1';
     UPDATE inbound SET received_at = 1000 WHERE external_id = 'SMb${R}1';
     UPDATE contacts SET last_seen = 1000 WHERE key = '$KB';"
[ "$(in_files "$B1")" -ge 1 ] || sk_fail "the answer to purge is not on disk"
out=$(sk_bin purge -c "$SK_CONF") || sk_fail "sikiliza purge failed: $out"
sk_contains "$out" "results=1 inbound=1 contacts=1 outbox=0" "purge counts"
[ "$(sk_sql "SELECT count(*) FROM results WHERE input = '3 $B1';")" = 0 ] ||
    sk_fail "the old answer was not purged"
[ "$(sk_sql "SELECT count(*) FROM results WHERE contact_key = '$KB';")" -ge 2 ] ||
    sk_fail "newer answers were purged"
[ "$(sk_sql "SELECT count(*) FROM contacts WHERE key = '$KB';")" = 0 ] ||
    sk_fail "the idle session was not purged"
[ "$(sk_sql "SELECT count(*) FROM inbound WHERE external_id = 'SMb${R}2';")" = 1 ] ||
    sk_fail "a newer message was purged"
[ "$(in_files "$B1")" = 0 ] || sk_fail "the purged answer is still in the database files"
[ "$(in_files "SMb${R}1")" = 0 ] || sk_fail "the purged provider id is still in the files"
[ "$(in_files "$B2")" -ge 1 ] || sk_fail "a newer answer is gone from the files"
audit=$(sk_bin audit -c "$SK_CONF") || sk_fail "sikiliza audit failed"
sk_contains "$audit" "$(printf '\tpurge\tretention_days=365 vault_days=30\tresults=1 inbound=1')" \
    "the purge's audit row"
sk_contains "$audit" "cli:" "the purge's actor"
case $audit in *"$KB"* | *"${KB:0:8}"*) sk_fail "the audit log names a contact" ;; esac
sk_alive
sk_stop

# --- retention: serve's daily timer (its first run follows the start) ------
age "UPDATE results SET created_at = 1000 WHERE input = '3 $B2 camp';
     UPDATE vault SET updated_at = 1000 WHERE contact_key = '$KB';"
sk_start
wait_until 30 "the timer's purge" grep -q "purge: retention_days=365 vault_days=30 results=1 " "$SK_LOG"
[ "$(sk_sql "SELECT count(*) FROM results WHERE input = '3 $B2 camp';")" = 0 ] ||
    sk_fail "the timer did not purge the old answer"
[ "$(sk_sql "SELECT count(*) FROM vault WHERE contact_key = '$KB';")" = 0 ] ||
    sk_fail "the timer did not purge the old reply address"
[ "$(sk_sql "SELECT count(*) FROM results WHERE input = '$B3';")" = 1 ] ||
    sk_fail "the timer purged a newer answer"
[ "$(in_files "$B2")" = 0 ] || sk_fail "the answer the timer purged is still in the files"
[ "$(sk_sql "SELECT count(*) FROM audit WHERE action = 'purge' AND actor = 'serve';")" -ge 1 ] ||
    sk_fail "the timer's purge is not audited"
sk_alive
sk_stop

# nothing of the children in the log
for s in "$A1" "$A2" "$A3" "$A4" "$B1" "$KA" 712345678 799000111 733000222; do
    if grep -qaF -- "$s" "$SK_LOG"; then
        sk_fail "\"$s\" appears in the log"
    fi
done
sk_log "ok"
