#!/usr/bin/env bash
# STOP, DELETE and the sending caps, end to end over the generic channel,
# with a flow whose wait times out after one second and then asks again
# (each timeout puts a message into the outbox; with no send_url nothing
# sends them, so they stay queued and can be counted).
#
# - STOP: the confirmation is the reply, the contact's queued messages
#   are cancelled, and later timeouts send nothing.
# - STOP as children type it: "Stop!" mid-survey, "Arrête !" and "توقف."
#   as a first message opt out, with nothing of the survey after and the
#   confirmation in the word's language; "stop hitting me" is no opt-out:
#   it is a disclosure of harm, and raises a safeguarding alert
#   (tests/e2e/test_safeguard.sh has the rest).
# - DELETE / SUPPRIMER: the reply is the confirmation (in French for
#   SUPPRIMER) and no row of any table holds the contact key or the
#   provider's ids afterwards;
#   "احذف." mid-survey and "Apaga!" as a first message erase too, with the
#   confirmation in Arabic and Portuguese;
#   on a channel replying through the outbox (FUTA, Africa's Talking) the
#   confirmation is queued under a one-time key.
# - max_replies_per_contact_day: over the cap nothing more is queued, the
#   drop is counted in /metrics, and the count survives a restart.
# - max_sends_per_channel_minute: replies over it are dropped and counted.
# No phone number appears in the log.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init optout
sk_need_command serve keygen

GW=$SK_TMP/gw
WORK=$SK_TMP/work
FLOWS=$SK_TMP/flows
mkdir -p "$GW" "$WORK" "$FLOWS"
SECRET=e2e-$RANDOM$RANDOM-secret

cat >"$FLOWS/ping.json" <<'EOF'
{
  "uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b01",
  "name": "Ping",
  "spec_version": "13.5.0",
  "language": "eng",
  "type": "messaging",
  "revision": 1,
  "expire_after_minutes": 60,
  "localization": {},
  "nodes": [
    {
      "uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b02",
      "actions": [
        {
          "uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b03",
          "type": "send_msg",
          "text": "Are you there? Reply with anything.",
          "quick_replies": []
        }
      ],
      "exits": [
        {
          "uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b04",
          "destination_uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b05"
        }
      ]
    },
    {
      "uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b05",
      "actions": [],
      "router": {
        "type": "switch",
        "operand": "@input.text",
        "cases": [],
        "categories": [
          {
            "uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b06",
            "name": "Other",
            "exit_uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b07"
          },
          {
            "uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b08",
            "name": "No Response",
            "exit_uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b09"
          }
        ],
        "default_category_uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b06",
        "result_name": "Answer",
        "wait": {
          "type": "msg",
          "timeout": {
            "seconds": 1,
            "category_uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b08"
          }
        }
      },
      "exits": [
        {
          "uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b07",
          "destination_uuid": null
        },
        {
          "uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b09",
          "destination_uuid": "5a0c5b7e-1a7e-4c55-9d1f-0a4a8f3e2b02"
        }
      ]
    }
  ]
}
EOF

# conf EXTRA: the gateway's config with the Ping flow and EXTRA appended.
conf() {
    rm -f "$GW/sikiliza.conf"
    sk_conf "$GW" "$SECRET" "$1"
    sed -i -e "s|^dir = .*|dir = $FLOWS|" -e "s|^default = .*|default = Ping|" \
        "$SK_CONF"
}

PHONES=(+254711000001 +254711000002 +254711000003 +254711000004
    +254711000005 +254711000006 +254711000007 +254711000009 +254711000010
    +254711000011 +254711000012 +254711000013 +254711000014)

# say FROM ID TEXT: posts an inbound SMS; the reply body is in $WORK/ID.json.
say() {
    local from=$1 id=$2 text=$3 code
    code=$(sk_http "$WORK/$id.json" \
        --data-urlencode "from=$from" --data-urlencode "text=$text" \
        --data-urlencode "id=$id" \
        "$SK_URL/c/demo/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "message $id: HTTP $code"
}

replies() {
    jq -r '.messages | join("\n")' "$WORK/$1.json"
}

# key_of SQL-WHERE: the contact key the gateway holds for the newest
# contact matching (the test never sees keys otherwise).
newest_key() {
    sk_sql "SELECT key FROM contacts ORDER BY first_seen DESC, rowid DESC LIMIT 1;"
}

# How long to wait for something that takes a second or two: far more,
# for a loaded machine; a wait ends as soon as its condition holds.
WAIT=30

# wait_for SQL WANT: polls until the query prints WANT.
wait_for() {
    local deadline=$((SECONDS + WAIT)) got
    while :; do
        got=$(sk_sql "$1")
        [ "$got" = "$2" ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep 0.1
    done
    sk_fail "waited for \"$1\" to give $2, got $got"
}

# wait_min SQL MIN: polls until the query prints a number >= MIN.
wait_min() {
    local deadline=$((SECONDS + WAIT)) got
    while :; do
        got=$(sk_sql "$1")
        [ "$got" -ge "$2" ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep 0.1
    done
    sk_fail "waited for \"$1\" to reach $2, got $got"
}

metric() {
    curl -fsS --max-time 5 "$SK_URL/metrics" |
        sed -n "s/^sikiliza_messages_capped_total{channel=\"demo\",cap=\"$1\"} //p"
}

# metric_min CAP MIN: true when the cap's counter is at least MIN.
metric_min() {
    local n
    n=$(metric "$1") || return 1
    [ -n "$n" ] && [ "$n" -ge "$2" ]
}

# wait_metric CAP MIN WHAT: polls until metric_min CAP MIN holds.
wait_metric() {
    local deadline=$((SECONDS + WAIT))
    until metric_min "$1" "$2"; do
        [ "$SECONDS" -lt "$deadline" ] || sk_fail "$3"
        sleep 0.1
    done
}

conf ""
sk_start

# --- STOP -----------------------------------------------------------------
say "${PHONES[0]}" s1 "hello"
sk_contains "$(replies s1)" "Are you there?" "first reply"
K1=$(newest_key)
[ ${#K1} -eq 64 ] || sk_fail "no contact key stored"
wait_min "SELECT count(*) FROM outbox WHERE contact_key = '$K1' AND status = 'queued';" 1
say "${PHONES[0]}" s2 "Stop"
# the Ping flow has no keyword trigger: the reply names no word to send
[ "$(replies s2)" = "You will get no more messages from us." ] ||
    sk_fail "STOP reply without a keyword trigger: $(replies s2)"
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE contact_key = '$K1' AND status <> 'failed';")" = 0 ] ||
    sk_fail "STOP left messages to send"
before=$(sk_sql "SELECT count(*) FROM outbox WHERE contact_key = '$K1';")
sleep 2.5 # more than two timeouts
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE contact_key = '$K1';")" = "$before" ] ||
    sk_fail "a timeout after STOP queued a message"
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE contact_key = '$K1' AND status <> 'failed';")" = 0 ] ||
    sk_fail "something is left to send after STOP"
[ "$(sk_sql "SELECT opted_out, timeout_at FROM contacts WHERE key = '$K1';")" = "1|0" ] ||
    sk_fail "the contact is not opted out with no wait"

# --- STOP as children type it ----------------------------------------------
STOP_REPLY="You will get no more messages from us."
# stopped KEY ID [REPLY]: the reply to ID is the one confirmation (REPLY,
# else the English one), the contact is opted out, nothing is left to
# send, and timeouts queue nothing more.
stopped() {
    local n
    [ "$(replies "$2")" = "${3:-$STOP_REPLY}" ] ||
        sk_fail "message $2: not the STOP confirmation: $(cat "$WORK/$2.json")"
    [ "$(sk_sql "SELECT opted_out FROM contacts WHERE key = '$1';")" = 1 ] ||
        sk_fail "message $2: the contact is not opted out"
    [ "$(sk_sql "SELECT count(*) FROM outbox WHERE contact_key = '$1' AND status <> 'failed';")" = 0 ] ||
        sk_fail "message $2: messages are left to send"
    n=$(sk_sql "SELECT count(*) FROM outbox WHERE contact_key = '$1';")
    sleep 1.5 # more than a timeout
    [ "$(sk_sql "SELECT count(*) FROM outbox WHERE contact_key = '$1';")" = "$n" ] ||
        sk_fail "message $2: a survey question came after STOP"
}
say "${PHONES[7]}" t1 "hello"
sk_contains "$(replies t1)" "Are you there?" "first reply"
K7=$(newest_key)
wait_min "SELECT count(*) FROM outbox WHERE contact_key = '$K7' AND status = 'queued';" 1
say "${PHONES[7]}" t2 "Stop!"
stopped "$K7" t2
say "${PHONES[8]}" t3 "Arrête !"
K8s=$(newest_key)
[ "$K8s" != "$K7" ] || sk_fail "a first message of STOP stored no contact"
# a first message has no language yet: the word's own answers
stopped "$K8s" t3 "Tu ne recevras plus de messages de notre part."
say "${PHONES[9]}" t4 "توقف."
K9s=$(newest_key)
[ "$K9s" != "$K8s" ] || sk_fail "a first message of STOP stored no contact"
stopped "$K9s" t4 "لن تصلك رسائل أخرى منا."
# an answer that only starts with the word is an answer
say "${PHONES[10]}" t5 "hello"
K10=$(newest_key)
say "${PHONES[10]}" t6 "stop hitting me"
[ "$(replies t6)" != "$STOP_REPLY" ] || sk_fail "\"stop hitting me\" opted out"
[ "$(sk_sql "SELECT opted_out FROM contacts WHERE key = '$K10';")" = 0 ] ||
    sk_fail "\"stop hitting me\" opted the contact out"
wait_min "SELECT count(*) FROM alerts WHERE contact_key = '$K10';" 1

# --- DELETE ---------------------------------------------------------------
# every_row_with KEY: how many rows of any table hold KEY in any column.
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

say "${PHONES[1]}" d1 "hello"
K2=$(newest_key)
[ "$K2" != "$K1" ] || sk_fail "second contact not stored"
say "${PHONES[1]}" d2 "fine thanks" # an answer in results
wait_min "SELECT count(*) FROM results WHERE contact_key = '$K2';" 1
say "${PHONES[1]}" d3 "again"          # starts the flow again (no wait now)
wait_min "SELECT count(*) FROM outbox WHERE contact_key = '$K2';" 1
[ "$(every_row_with "$K2")" -gt 0 ] || sk_fail "the contact left no rows to erase"
say "${PHONES[1]}" d4 " DELETE "
[ "$(jq -r '.messages | length' "$WORK/d4.json")" = 1 ] ||
    sk_fail "DELETE: expected one confirmation, got $(cat "$WORK/d4.json")"
sk_contains "$(replies d4)" "has been deleted" "DELETE reply"
[ "$(every_row_with "$K2")" = 0 ] || sk_fail "rows with the contact key remain after DELETE"
sleep 2
[ "$(every_row_with "$K2")" = 0 ] || sk_fail "rows with the contact key came back"
# the DELETE's own dedupe row is kept under a keyed hash, not the id
[ "$(sk_sql "SELECT count(*) FROM inbound WHERE external_id LIKE '#%' AND contact_key = '';")" = 1 ] ||
    sk_fail "the DELETE message is not deduplicated under no key"
[ "$(sk_sql "SELECT count(*) FROM inbound WHERE external_id LIKE 'd_';")" = 0 ] ||
    sk_fail "the provider's ids of the erased messages remain"
# a provider retry of the DELETE gets the same answer and erases nothing new
say "${PHONES[1]}" d4 " DELETE "
sk_contains "$(replies d4)" "has been deleted" "DELETE retry"

say "${PHONES[2]}" f1 "bonjour"
K3=$(newest_key)
say "${PHONES[2]}" f2 "Supprimer"
sk_contains "$(replies f2)" "Tout ce que tu nous as envoyé a été effacé" \
    "SUPPRIMER reply (French, with tu)"
[ "$(every_row_with "$K3")" = 0 ] || sk_fail "rows remain after SUPPRIMER"

say "${PHONES[11]}" g1 "hello"
K11=$(newest_key)
wait_min "SELECT count(*) FROM outbox WHERE contact_key = '$K11';" 1
say "${PHONES[11]}" g2 "احذف."
sk_contains "$(replies g2)" "تم حذف كل ما أرسلته إلينا" "احذف. reply (Arabic)"
[ "$(every_row_with "$K11")" = 0 ] || sk_fail "rows remain after احذف."
say "${PHONES[12]}" g3 "Apaga!"
[ "$(jq -r '.messages | length' "$WORK/g3.json")" = 1 ] ||
    sk_fail "Apaga!: expected one confirmation, got $(cat "$WORK/g3.json")"
sk_contains "$(replies g3)" "Tudo o que nos enviaste foi apagado" \
    "Apaga! reply (Portuguese)"
sk_stop

# --- DELETE on a channel that replies through the outbox --------------------
# Africa's Talking, its API on a closed loopback port: nothing is delivered,
# but the rows show what would be sent, and under which key. Port 1, where
# nothing listens: a port that is merely free now could be taken by a test
# running beside this one, whose server would then get these sends.
conf "
[channel at]
type = africastalking
secret = $SECRET
username = sandbox
api_key = test-key
api_url = http://127.0.0.1:1"
sk_start
at_say() {
    local code
    code=$(sk_http "$WORK/$2.out" --data-urlencode "from=$1" \
        --data-urlencode "text=$3" --data-urlencode "id=$2" \
        --data-urlencode "to=12345" \
        "$SK_URL/c/at/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "AT message $2: HTTP $code"
}
PHONE_AT=+254711000008
at_say "$PHONE_AT" a1 "hello"
K8=$(newest_key)
wait_min "SELECT count(*) FROM outbox WHERE contact_key = '$K8';" 1
at_say "$PHONE_AT" a2 "futa"
[ "$(every_row_with "$K8")" = 0 ] || sk_fail "rows remain after FUTA (outbox channel)"
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE text LIKE 'Kila kitu ulichotutumia kimefutwa%';")" = 1 ] ||
    sk_fail "the Swahili confirmation is not queued"
OTK=$(sk_sql "SELECT contact_key FROM outbox WHERE text LIKE 'Kila kitu%';")
[ ${#OTK} -eq 64 ] && [ "$OTK" != "$K8" ] ||
    sk_fail "the confirmation is not queued under a one-time key"
[ "$(sk_sql "SELECT count(*) FROM vault WHERE contact_key = '$OTK';")" = 1 ] ||
    sk_fail "no address for the confirmation"
sk_stop

# --- per contact per day, across a restart ---------------------------------
conf "[limits]
max_replies_per_contact_day = 2"
sk_start
say "${PHONES[3]}" c1 "hello"
K4=$(newest_key)
sk_contains "$(replies c1)" "Are you there?" "reply under the day cap"
# 1 reply + 1 queued timeout reach the cap; later timeouts are dropped
wait_min "SELECT count(*) FROM outbox WHERE contact_key = '$K4';" 1
wait_metric contact_day 1 "no contact_day cap counted"
sk_stop
sk_start
# The counter starts again at 0: it counts once a timeout after the restart
# is dropped, still over the cap (a second row would be queued otherwise).
wait_metric contact_day 1 "the day count did not survive the restart"
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE contact_key = '$K4';")" = 1 ] ||
    sk_fail "more than the day cap was queued"
say "${PHONES[3]}" c2 "fine" # ends the run: no reply
say "${PHONES[3]}" c3 "hello" # starts it again: the reply is over the cap
[ "$(jq -r '.messages | length' "$WORK/c3.json")" = 0 ] ||
    sk_fail "a reply over the day cap was sent: $(cat "$WORK/c3.json")"
sk_stop

# --- per channel per minute -----------------------------------------------
conf "[limits]
max_sends_per_channel_minute = 1"
sk_start
say "${PHONES[4]}" m1 "hello"
say "${PHONES[5]}" m2 "hello"
say "${PHONES[6]}" m3 "hello"
n=0
for id in m1 m2 m3; do
    n=$((n + $(jq -r '.messages | length' "$WORK/$id.json")))
done
[ "$n" -le 2 ] || sk_fail "the channel minute cap let $n replies through"
[ "$(metric channel_minute)" -ge 1 ] || sk_fail "no channel_minute cap counted"
grep -q 'cap=channel_minute' "$SK_LOG" || sk_fail "no warning logged for the cap"
sk_stop

for p in "${PHONES[@]}" "$PHONE_AT"; do
    if grep -qF -- "${p#+}" "$SK_LOG"; then
        sk_fail "a phone number is in the log"
    fi
done
sk_log "ok"
