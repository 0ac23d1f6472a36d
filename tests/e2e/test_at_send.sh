#!/usr/bin/env bash
# The Africa's Talking SMS send path, end to end: the real `sikiliza serve`
# with an africastalking channel whose api_url is a local fake of the
# messaging API (sk-fakeprovider, which checks the apiKey header, the
# username and the sender id as the provider does):
#  - an SMS callback is answered 200 with an empty body; a wrong secret gets
#    403 and nothing is stored; the provider's retry of the callback (same
#    id) is stored once and answered once;
#  - the flow's question goes out through /version1/messaging with to,
#    message, from (the short code) and bulkSMSMode=1 while the fake answers
#    500, then 429, then success: it arrives exactly once, after a backoff
#    before each new attempt; the 1 s wait timeout's message follows;
#  - a delivery report for the messageId the fake returned marks the
#    outbox row delivered (an interim report does not);
#  - the fake hangs on a send, the gateway is killed (SIGKILL) and
#    restarted: that message is not sent again and its row ends failed;
#  - neither phone numbers, message texts nor credentials reach the log.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fakeprovider_lib.sh
. "$(dirname "$0")/fakeprovider_lib.sh"
sk_init at_send
sk_need_command serve keygen

GW=$SK_TMP/gw
WORK=$SK_TMP/work
FLOWS=$SK_TMP/flows
mkdir -p "$GW" "$WORK" "$FLOWS"

AT_USER=sandbox
AT_KEY=at-key-$RANDOM$RANDOM
SHORT=2$RANDOM
SECRET=at-secret-$RANDOM$RANDOM
BASE_MS=300 # [outbox] backoff_base_ms
PH1=+254700100001
PH3=+254700100003
WORD=marmalade$RANDOM # in the children's texts

fp_start -a "$AT_USER:$AT_KEY" -s "$SHORT"
fp_timeout_flow "$FLOWS/timeout.json"

sk_keygen "$GW/secret.key"
SK_CONF=$GW/sikiliza.conf
SK_LOG=$GW/serve.log
cat >"$SK_CONF" <<EOF
[server]
listen = 127.0.0.1:$(sk_free_port)

[store]
path = $GW/sikiliza.db

[privacy]
key_file = $GW/secret.key

[flows]
dir = $FLOWS
default = Timeout Test

[outbox]
max_attempts = 6
backoff_base_ms = $BASE_MS
backoff_max_ms = 2000
timeout_ms = 1500
poll_ms = 50

[channel at]
type = africastalking
secret = $SECRET
username = $AT_USER
api_key = $AT_KEY
number = $SHORT
api_url = $FP_URL
EOF
sk_start

# sms OUT ID PHONE TEXT [SECRET]: an incoming SMS as Africa's Talking posts
# it; prints the HTTP status, the body in $WORK/OUT.
sms() {
    sk_http "$WORK/$1" --data-urlencode "from=$3" \
        --data-urlencode "to=$SHORT" --data-urlencode "text=$4" \
        --data-urlencode "id=$2" --data-urlencode "linkId=L-$2" \
        --data-urlencode "date=$(date -u '+%Y-%m-%d %H:%M:%S')" \
        --data-urlencode "networkCode=63902" \
        "$SK_URL/c/at/receive?secret=${5:-$SECRET}"
}

# dlr OUT ID STATUS [SECRET]: a delivery report; prints the HTTP status.
dlr() {
    sk_http "$WORK/$1" --data-urlencode "id=$2" --data-urlencode "status=$3" \
        --data-urlencode "phoneNumber=$PH1" --data-urlencode "networkCode=63902" \
        --data-urlencode "retryCount=0" \
        "$SK_URL/c/at/status?secret=${4:-$SECRET}"
}

# --- the callback: a wrong secret, then the message and its retry -----------

code=$(sms r0 ATXid_in0 $PH1 "hello $WORD" wrong-secret)
[ "$code" = 403 ] || sk_fail "wrong secret: HTTP $code, want 403"
[ "$(sk_count inbound)" = 0 ] || sk_fail "a refused callback was stored"

fp_next 500,429
code=$(sms r1 ATXid_in1 $PH1 "hello $WORD")
[ "$code" = 200 ] || sk_fail "SMS callback: HTTP $code: $(cat "$WORK/r1")"
[ ! -s "$WORK/r1" ] || sk_fail "SMS callback: a body in the answer"
code=$(sms r2 ATXid_in1 $PH1 "hello $WORD")
[ "$code" = 200 ] || sk_fail "retried callback: HTTP $code"
[ ! -s "$WORK/r2" ] || sk_fail "retried callback: a body in the answer"
[ "$(sk_count inbound)" = 1 ] || sk_fail "the retried callback was stored twice"

# --- the question: 500, 429, then accepted ------------------------------------

wait_until 15 "the question" has_sent africastalking "$PH1" "$FP_Q1"
wait_until 15 "the timeout message" has_sent africastalking "$PH1" "$FP_LATER"
sleep 1 # anything sent twice would show now
[ "$(sent_count africastalking "$PH1" "$FP_Q1")" = 1 ] ||
    sk_fail "the question did not arrive exactly once"
[ "$(sent_count africastalking "$PH1" "$FP_LATER")" = 1 ] ||
    sk_fail "the timeout message did not arrive exactly once"
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE channel = 'at';")" = 2 ] ||
    sk_fail "expected two outbox rows (the question, the timeout message)"
if grep -Eq '^africastalking (400|401|402) ' "$FP_LOG"; then
    sk_fail "the fake refused a request: $(grep -E ' (400|401|402) ' "$FP_LOG")"
fi

# The requests for PH1, in order: 500, 429, ok (the question), ok (the
# timeout message, held back until the question had gone).
fp_requests africastalking "$PH1" >"$WORK/req1"
[ "$(cut -f3 "$WORK/req1" | paste -sd ' ')" = "500 429 ok ok" ] ||
    sk_fail "unexpected answers to the sends: $(cut -f3 "$WORK/req1" | paste -sd ' ')"
[ "$(cut -f5,6 "$WORK/req1" | sort -u)" = "$SHORT	1" ] ||
    sk_fail "from or bulkSMSMode not as configured: $(cut -f5,6 "$WORK/req1")"

# Backoff, jittered by +-20 %: the base before the second attempt, twice
# that before the third (plus a poll and some slack, well under
# backoff_max_ms).
read -r GAP1 GAP2 < <(awk -F '\t' 'NR > 1 && NR <= 3 { printf "%d ", $1 - t }
    { t = $1 } END { print "" }' "$WORK/req1")
in_range() { # VALUE MIN MAX
    [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}
in_range "$GAP1" $((BASE_MS * 8 / 10)) $((BASE_MS * 12 / 10 + 1000)) ||
    sk_fail "second attempt ${GAP1} ms after the first, want about $BASE_MS"
in_range "$GAP2" $((BASE_MS * 16 / 10)) $((BASE_MS * 24 / 10 + 1000)) ||
    sk_fail "third attempt ${GAP2} ms after the second, want about $((2 * BASE_MS))"
sk_log "backoff: ${GAP1} ms, then ${GAP2} ms"

# --- the delivery report -------------------------------------------------------

MID=$(awk -F '\t' '$3 == "ok" { print $7; exit }' "$WORK/req1")
case $MID in ATXid_*) ;; *) sk_fail "the fake returned no messageId: $MID" ;; esac
Q1_ROW="channel = 'at' AND text = '$FP_Q1'"
[ "$(sk_sql "SELECT external_id FROM outbox WHERE $Q1_ROW;")" = "$MID" ] ||
    sk_fail "the question's row does not hold the messageId $MID"
[ "$(sk_sql "SELECT status || ' ' || attempts FROM outbox WHERE $Q1_ROW;")" \
    = "sent 3" ] || sk_fail "the question's row is not sent after 3 attempts"

code=$(dlr d0 "$MID" Success wrong-secret)
[ "$code" = 403 ] || sk_fail "report with a wrong secret: HTTP $code"
code=$(dlr d1 "$MID" Buffered)
[ "$code" = 200 ] || sk_fail "interim report: HTTP $code"
[ "$(sk_sql "SELECT status FROM outbox WHERE $Q1_ROW;")" = sent ] ||
    sk_fail "an interim report or a refused one changed the row"
code=$(dlr d2 "$MID" Success)
[ "$code" = 200 ] || sk_fail "delivery report: HTTP $code: $(cat "$WORK/d2")"
[ "$(sk_sql "SELECT status FROM outbox WHERE $Q1_ROW;")" = delivered ] ||
    sk_fail "the delivery report did not mark the row delivered"

# --- no double send across a crash -------------------------------------------

fp_next hang
code=$(sms r3 ATXid_in3 $PH3 "hi $WORD")
[ "$code" = 200 ] || sk_fail "SMS callback 3: HTTP $code"
wait_until 10 "the hung send" has_attempt africastalking hang "$PH3"
sk_crash
sk_start
# the flow goes on: the timeout message leaves after recovery
wait_until 15 "the timeout message after the restart" \
    has_sent africastalking "$PH3" "$FP_LATER"
sleep 1
[ "$(attempts africastalking hang "$PH3")" = 1 ] ||
    sk_fail "the hung send was retried"
[ "$(sent_count africastalking "$PH3" "$FP_Q1")" = 0 ] ||
    sk_fail "the message in doubt was sent again after the restart"
[ "$(sent_count africastalking "$PH3" "$FP_LATER")" = 1 ] ||
    sk_fail "the timeout message did not arrive exactly once"
[ "$(sk_sql "SELECT status FROM outbox WHERE $Q1_ROW ORDER BY id DESC LIMIT 1;")" \
    = failed ] || sk_fail "the row in doubt is not marked failed"
grep -q "unknown after restart" "$SK_LOG" ||
    sk_fail "the row in doubt was not logged"

# --- privacy -----------------------------------------------------------------

sk_alive
sk_stop
for needle in "${PH1#+}" "${PH3#+}" "$WORD" "are you safe" "Still there" \
    "$AT_KEY" "$SECRET"; do
    if grep -qaF -- "$needle" "$SK_LOG"; then
        sk_fail "the gateway log holds \"$needle\""
    fi
done
fp_stop
sk_log "ok"
