#!/usr/bin/env bash
# Back up while serving, restore on a fresh directory, and erasure that
# survives the restore.
#
# - 20 children answer the Wellbeing Check at the same time through the
#   generic channel while `sikiliza backup` runs beside `serve`.
# - One child, whose answers are in the backup, sends DELETE after it.
# - `sikiliza restore` onto a fresh directory (its key file coming from
#   the backup), replaying the old store's erasure log: started there,
#   `serve` holds every answer acknowledged before the backup began, none
#   acknowledged after it ended, nothing never acknowledged, and nothing
#   of the erased child. Restored without the log, the child comes back
#   (the replay is what keeps it out), and a warning says so.
# - A returning child is the same contact (the key file came along).
# - Refusals that change nothing: OUT exists without --force, a wrong
#   passphrase, a restore while `serve` runs on the store, a store that
#   exists without --force. Both commands are audited; the backup holds
#   no answer in clear; the private directories are gone.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init backup
sk_need_command serve backup restore

GW=$SK_TMP/gw
NEW=$SK_TMP/new
BARE=$SK_TMP/bare
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
R=$RANDOM$RANDOM
PASS=$SK_TMP/backup.pass
BAK=$SK_TMP/sikiliza.bak
CHILDREN=20

printf 'e2e backup passphrase %s\n' "$R" >"$PASS"
chmod 600 "$PASS"

sk_conf "$GW" "$SECRET"
GW_CONF=$SK_CONF
GW_LOG=$SK_LOG
sk_start
GW_URL=$SK_URL

now_ms() {
    date +%s%3N
}

# say URL FROM ID TEXT: an SMS on the generic channel; prints the status.
say() {
    sk_http "$WORK/$3.json" --data-urlencode "from=$2" \
        --data-urlencode "text=$4" --data-urlencode "id=$3" \
        "$1/c/demo/receive?secret=$SECRET"
}

# child N: answers the survey; every acknowledged answer that names a
# token goes to $WORK/acks.N as "TOKEN ACK_MS", failures to $WORK/fail.N.
child() {
    local n=$1 from i code text
    from=+2547100$(printf '%05d' "$n")
    local -a texts=("hi" "1" "3 zq${R}c${n}a" "3 zq${R}c${n}b camp"
        "zq${R}c${n}c" "yes" "1" "4" "zq${R}c${n}d and more")
    for i in "${!texts[@]}"; do
        text=${texts[$i]}
        code=$(say "$GW_URL" "$from" "c${n}m${i}$R" "$text")
        if [ "$code" != 200 ]; then
            echo "message $i: HTTP $code" >>"$WORK/fail.$n"
            return 0
        fi
        case $text in
        *zq*) echo "$(grep -o "zq${R}c${n}[a-d]" <<<"$text") $(now_ms)" \
            >>"$WORK/acks.$n" ;;
        esac
        sleep 0.2
    done
}

# --- the child who will be erased answers before the backup -------------
ERASED=+254799000777
code=$(say "$GW_URL" "$ERASED" "e1$R" "hi")
[ "$code" = 200 ] || sk_fail "erased child: HTTP $code"
for m in "1" "3 zqe${R}one" "3 zqe${R}two camp" "zqe${R}three"; do
    code=$(say "$GW_URL" "$ERASED" "e$RANDOM$R" "$m")
    [ "$code" = 200 ] || sk_fail "erased child: HTTP $code"
done
[ "$(sk_sql "SELECT count(*) FROM results WHERE input LIKE '%zqe${R}%';")" -ge 2 ] ||
    sk_fail "the erased child's answers were not stored"

# --- 20 children answer while the backup runs ------------------------------
pids=()
for ((n = 1; n <= CHILDREN; n++)); do
    child "$n" &
    pids+=($!)
done
# some answers are in before the backup begins
for ((i = 0; i < 100; i++)); do
    [ "$(cat "$WORK"/acks.* 2>/dev/null | wc -l)" -lt 3 ] || break
    sleep 0.1
done
T0=$(now_ms)
sk_bin backup -c "$GW_CONF" -o "$BAK" --key-file "$PASS" >"$WORK/backup.out" \
    2>"$WORK/backup.err" ||
    sk_fail "backup failed: $(cat "$WORK/backup.err")"
T1=$(now_ms)
for pid in "${pids[@]}"; do
    wait "$pid"
done
if ls "$WORK"/fail.* >/dev/null 2>&1; then
    sk_fail "children's messages failed: $(cat "$WORK"/fail.*)"
fi
sk_contains "$(cat "$WORK/backup.out")" "privacy key included" "backup output"
[ -s "$BAK" ] || sk_fail "no backup file"
[ "$(stat -c %a "$BAK")" = 600 ] || sk_fail "the backup is mode $(stat -c %a "$BAK")"
cat "$WORK"/acks.* | sort >"$WORK/acks"
before=$(awk -v t="$T0" '$2 < t' "$WORK/acks" | wc -l)
during=$(awk -v t="$T0" '$2 >= t' "$WORK/acks" | wc -l)
after=$(awk -v t="$T1" '$2 > t' "$WORK/acks" | wc -l)
total=$(wc -l <"$WORK/acks")
[ "$total" = $((CHILDREN * 4)) ] || sk_fail "$total answers acknowledged, not $((CHILDREN * 4))"
[ "$before" -ge 1 ] || sk_fail "no answer came in before the backup began"
[ "$during" -ge 1 ] || sk_fail "no answer came in while the backup ran"
sk_log "answers acknowledged: $before before the backup began, $during after," \
    "$after of them after it ended ($((T1 - T0)) ms)"

# what a backup refuses, changing nothing
sum=$(sha256sum <"$BAK")
if sk_bin backup -c "$GW_CONF" -o "$BAK" --key-file "$PASS" 2>"$WORK/err"; then
    sk_fail "backup replaced an existing file without --force"
fi
sk_contains "$(cat "$WORK/err")" "exists" "backup over an existing file"
[ "$(sha256sum <"$BAK")" = "$sum" ] || sk_fail "the refused backup changed the file"
for s in "zqe${R}one" "zq${R}c1a"; do
    if grep -qaF -- "$s" "$BAK"; then
        sk_fail "the backup holds \"$s\" in clear"
    fi
done
ls -a "$GW" | grep -q '^\.backup-' && sk_fail "the backup's private directory is left"
[ "$(sk_sql "SELECT count(*) FROM audit WHERE action = 'backup';")" = 1 ] ||
    sk_fail "the backup is not in the audit log"

# --- the child is erased after the backup ----------------------------------
KEY_ERASED=$(sk_sql "SELECT contact_key FROM results WHERE input LIKE '%zqe${R}one%';")
code=$(say "$GW_URL" "$ERASED" "edel$R" "DELETE")
[ "$code" = 200 ] || sk_fail "DELETE: HTTP $code"
sk_contains "$(jq -r '.messages | join(" ")' "$WORK/edel$R.json")" "deleted" "DELETE reply"
[ "$(sk_sql "SELECT count(*) FROM results WHERE input LIKE '%zqe${R}%';")" = 0 ] ||
    sk_fail "DELETE left answers in the live store"
# a child whose answer is in the backup, to come back after the restore
BACK_TOKEN=$(awk -v t="$T0" '$2 < t { print $1; exit }' "$WORK/acks")
BACK_N=$(sed "s/^zq${R}c\([0-9]*\)[a-d]$/\1/" <<<"$BACK_TOKEN")
KEY_BACK=$(sk_sql "SELECT contact_key FROM results WHERE input LIKE '%$BACK_TOKEN%';")

# a restore while serve runs on the store is refused
if sk_bin restore -c "$GW_CONF" -i "$BAK" --key-file "$PASS" --force \
    2>"$WORK/err"; then
    sk_fail "restore ran beside a running serve"
fi
sk_contains "$(cat "$WORK/err")" "in use by another sikiliza serve" "restore beside serve"
sk_alive
sk_stop

# --- restore onto a fresh directory ----------------------------------------
sk_conf "$NEW" "$SECRET"
rm -f "$NEW/secret.key" # the backup brings the box's key
NEW_CONF=$SK_CONF
echo "wrong passphrase for this $R" >"$SK_TMP/wrong.pass"
chmod 600 "$SK_TMP/wrong.pass"
if sk_bin restore -c "$NEW_CONF" -i "$BAK" --key-file "$SK_TMP/wrong.pass" \
    2>"$WORK/err"; then
    sk_fail "restore took a wrong passphrase"
fi
sk_contains "$(cat "$WORK/err")" "wrong passphrase" "wrong passphrase"
[ ! -e "$NEW/sikiliza.db" ] && [ ! -e "$NEW/secret.key" ] ||
    sk_fail "a refused restore left files"
sk_bin restore -c "$NEW_CONF" -i "$BAK" --key-file "$PASS" \
    --erasures-from "$GW/sikiliza.db" >"$WORK/restore.out" 2>"$WORK/restore.err" ||
    sk_fail "restore failed: $(cat "$WORK/restore.err")"
sk_contains "$(cat "$WORK/restore.out")" "replayed on 1 contact" "restore output"
cmp -s "$GW/secret.key" "$NEW/secret.key" || sk_fail "the key file was not restored"
[ "$(stat -c %a "$NEW/secret.key")" = 600 ] || sk_fail "the restored key file is not 0600"
ls -a "$NEW" | grep -q '^\.restore-' && sk_fail "the restore's private directory is left"

# a store there now: a second restore needs --force
if sk_bin restore -c "$NEW_CONF" -i "$BAK" --key-file "$PASS" 2>"$WORK/err"; then
    sk_fail "restore replaced a store without --force"
fi
sk_contains "$(cat "$WORK/err")" "add --force" "restore over a store"

# without the erasure log the erased child would come back
sk_conf "$BARE" "$SECRET"
rm -f "$BARE/secret.key"
sk_bin restore -c "$SK_CONF" -i "$BAK" --key-file "$PASS" >/dev/null \
    2>"$WORK/bare.err" || sk_fail "restore without a log failed: $(cat "$WORK/bare.err")"
sk_contains "$(cat "$WORK/bare.err")" "no erasure log to replay" "the warning"
[ "$(sk_sql "SELECT count(*) FROM results WHERE input LIKE '%zqe${R}%';")" -ge 2 ] ||
    sk_fail "the backup did not hold the erased child's answers"

# --- serve on the restored store -------------------------------------------
SK_CONF=$NEW_CONF
SK_LOG=$NEW/serve.log
sk_start
missing=0
while read -r token at; do
    n=$(sk_sql "SELECT count(*) FROM results WHERE input LIKE '%$token%';")
    if [ "$at" -lt "$T0" ] && [ "$n" = 0 ]; then
        sk_log "answer $token acknowledged before the backup is missing"
        missing=$((missing + 1))
    fi
    if [ "$at" -gt "$T1" ] && [ "$n" != 0 ]; then
        sk_fail "answer $token acknowledged after the backup ended is in it"
    fi
done <"$WORK/acks"
[ "$missing" = 0 ] || sk_fail "$missing acknowledged answers are missing"
# nothing that was never acknowledged
for token in $(sk_sql "SELECT input FROM results WHERE input LIKE '%zq${R}c%';" |
    grep -o "zq${R}c[0-9]*[a-d]"); do
    grep -q "^$token " "$WORK/acks" || sk_fail "answer $token was never acknowledged"
done
[ "$(sk_sql "SELECT count(*) FROM results WHERE input LIKE '%zqe${R}%';")" = 0 ] ||
    sk_fail "the erased child's answers came back with the restore"
for t in contacts results inbound outbox vault; do
    col=contact_key
    [ "$t" != contacts ] || col=key
    [ "$(sk_sql "SELECT count(*) FROM $t WHERE $col = '$KEY_ERASED';")" = 0 ] ||
        sk_fail "the erased child is back in $t"
done
[ "$(sk_sql "SELECT count(*) FROM audit WHERE action = 'restore';")" = 1 ] ||
    sk_fail "the restore is not in the audit log"
[ "$(sk_sql "PRAGMA integrity_check;")" = ok ] || sk_fail "the restored store is damaged"

# a returning child is the same contact: the key came along
contacts=$(sk_count contacts)
code=$(say "$SK_URL" "+2547100$(printf '%05d' "$BACK_N")" "back$R" "hi")
[ "$code" = 200 ] || sk_fail "a returning child: HTTP $code"
[ "$(sk_count contacts)" = "$contacts" ] || sk_fail "a returning child became a new contact"
[ "$(sk_sql "SELECT count(*) FROM contacts WHERE key = '$KEY_BACK';")" = 1 ] ||
    sk_fail "the returning child's contact key changed"
sk_alive
sk_stop
[ -z "$(grep -aF -- "zq$R" "$GW_LOG" "$NEW/serve.log" || true)" ] ||
    sk_fail "an answer's text is in a log"
sk_log "ok"
