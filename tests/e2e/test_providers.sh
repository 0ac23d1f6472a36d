#!/usr/bin/env bash
# Twilio and Vonage channels against a local fake of their send APIs
# (sk-fakeprovider), with the real `sikiliza serve`:
#  - webhooks signed as the providers sign them are taken; unsigned or
#    wrongly signed ones get 403 and nothing is stored;
#  - a Twilio survey question answered in TwiML, then a 1 s wait timeout
#    whose message goes through the outbox while the fake answers 500,
#    then 429, then OK: it arrives once; its status callback marks it
#    delivered;
#  - a Vonage message (always through the outbox) while the fake hangs past
#    the send timeout, then OK: it arrives once; a delivery receipt;
#  - the fake hangs on a send, the gateway is killed (SIGKILL) and
#    restarted: that message is not sent a second time.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fakeprovider_lib.sh
. "$(dirname "$0")/fakeprovider_lib.sh"
sk_init providers
sk_need_command serve keygen
command -v openssl >/dev/null 2>&1 || sk_skip "openssl is not installed"

GW=$SK_TMP/gw
WORK=$SK_TMP/work
FLOWS=$SK_TMP/flows
mkdir -p "$GW" "$WORK" "$FLOWS"

TW_SID=AC0123456789abcdef0123456789abcdef
TW_TOKEN=tw-token-$RANDOM$RANDOM
VO_KEY=vokey$RANDOM
VO_SECRET=vo-secret-$RANDOM
VO_SIG=vo-sig-secret-$RANDOM$RANDOM
PUBLIC=https://hotline.example.org
Q1=$FP_Q1
LATER=$FP_LATER

# --- the fake provider ---------------------------------------------------

fp_start -t "$TW_SID:$TW_TOKEN" -v "$VO_KEY:$VO_SECRET" -a "sandbox:at-key"

# --- the gateway ---------------------------------------------------------

fp_timeout_flow "$FLOWS/timeout.json"

sk_keygen "$GW/secret.key"
SK_CONF=$GW/sikiliza.conf
SK_LOG=$GW/serve.log
cat >"$SK_CONF" <<EOF
[server]
listen = 127.0.0.1:$(sk_free_port)
public_url = $PUBLIC

[store]
path = $GW/sikiliza.db

[privacy]
key_file = $GW/secret.key

[flows]
dir = $FLOWS
default = Timeout Test

[outbox]
max_attempts = 6
backoff_base_ms = 200
backoff_max_ms = 1000
timeout_ms = 1500

[channel tw]
type = twilio
account_sid = $TW_SID
auth_token = $TW_TOKEN
number = +15005550006
api_url = $FP_URL

[channel vo]
type = vonage
api_key = $VO_KEY
api_secret = $VO_SECRET
signature_secret = $VO_SIG
signature_method = sha256
number = 447700900000
api_url = $FP_URL
EOF
sk_start

# --- signing as the providers do -------------------------------------------

# vo_get OUT PATH KEY=VALUE...: a GET signed as Vonage signs (sorted
# "&key=value", & and = in values as _, HMAC-SHA256 hex); VO_SIGN=bad or
# none as above.
vo_get() {
    local out=$1 path=$2 s= line q= secret=$VO_SIG sig v
    shift 2
    while IFS= read -r line; do
        v=${line#*=}
        v=${v//&/_}
        v=${v//=/_}
        s+="&${line%%=*}=$v"
    done < <(printf '%s\n' "$@" | LC_ALL=C sort)
    for line in "$@"; do
        q+=${q:+&}${line%%=*}=$(sk_urienc "${line#*=}")
    done
    [ "${VO_SIGN:-good}" != bad ] || secret=not-the-secret
    sig=$(printf '%s' "$s" | openssl dgst -sha256 -hmac "$secret" |
        sed 's/^.*= *//')
    [ "${VO_SIGN:-good}" = none ] || q+="&sig=$sig"
    sk_http "$out" "$SK_URL$path?$q"
}

PH1=+254700000001
PH2=254700000002
PH3=+254700000003
NOW=$(date -u '+%Y-%m-%d %H:%M:%S')

# --- Twilio: signatures ----------------------------------------------------

tw_inbound() { # OUT SID FROM BODY
    sk_tw_post "$1" /c/tw/receive "MessageSid=$2" "SmsSid=$2" \
        "AccountSid=$TW_SID" "From=$3" "To=+15005550006" "Body=$4" \
        "NumMedia=0" "NumSegments=1" "ApiVersion=2010-04-01"
}
code=$(TW_SIGN=none tw_inbound "$WORK/r0" SMnone $PH1 hello)
[ "$code" = 403 ] || sk_fail "unsigned Twilio request: HTTP $code, want 403"
code=$(TW_SIGN=bad tw_inbound "$WORK/r0" SMbad $PH1 hello)
[ "$code" = 403 ] || sk_fail "badly signed Twilio request: HTTP $code"
[ "$(sk_count inbound)" = 0 ] || sk_fail "a refused request was stored"

# --- Twilio: TwiML, then a timeout sent through 500, 429, OK ---------------

fp_next 500,429
code=$(tw_inbound "$WORK/r1" SMa1 $PH1 hello)
[ "$code" = 200 ] || sk_fail "signed Twilio request: HTTP $code: $(cat "$WORK/r1")"
grep -q "<Response><Message>$Q1</Message></Response>" "$WORK/r1" ||
    sk_fail "no TwiML with the first question: $(cat "$WORK/r1")"
wait_until 20 "the Twilio timeout message" has_sent twilio "$PH1" "$LATER"
[ "$(attempts twilio 500 "$PH1")" = 1 ] || sk_fail "no 500 answered first"
[ "$(attempts twilio 429 "$PH1")" = 1 ] || sk_fail "no 429 answered second"
sleep 1.5 # anything sent twice would show now
[ "$(sent_count twilio "$PH1" "$LATER")" = 1 ] ||
    sk_fail "the Twilio message did not arrive exactly once"
[ "$(sent_count twilio "$PH1" "$Q1")" = 0 ] ||
    sk_fail "the TwiML reply was also sent through the API"

# the status callback for it, signed too
# (the fake has it before the gateway has written back its answer)
tw_sent_sid() {
    sk_sql "SELECT external_id FROM outbox WHERE channel = 'tw' AND status = 'sent';"
}
tw_row_sent() {
    [ -n "$(tw_sent_sid)" ]
}
wait_until 30 "the Twilio row marked sent" tw_row_sent
SM=$(tw_sent_sid)
case $SM in SM*) ;; *) sk_fail "the row has no Twilio sid: $SM" ;; esac
code=$(TW_SIGN=bad sk_tw_post "$WORK/s0" /c/tw/status "MessageSid=$SM" \
    "MessageStatus=delivered" "AccountSid=$TW_SID")
[ "$code" = 403 ] || sk_fail "badly signed status callback: HTTP $code"
code=$(sk_tw_post "$WORK/s1" /c/tw/status "MessageSid=$SM" "MessageStatus=sent" \
    "AccountSid=$TW_SID")
[ "$code" = 200 ] || sk_fail "interim status callback: HTTP $code"
code=$(sk_tw_post "$WORK/s2" /c/tw/status "MessageSid=$SM" \
    "MessageStatus=delivered" "AccountSid=$TW_SID" "To=$PH1")
[ "$code" = 200 ] || sk_fail "status callback: HTTP $code: $(cat "$WORK/s2")"
[ "$(sk_sql "SELECT status FROM outbox WHERE external_id = '$SM';")" = delivered ] ||
    sk_fail "the status callback did not mark the row delivered"

# --- Vonage: signatures; a hang past the timeout, then OK -------------------

vo_inbound() { # OUT ID TEXT
    vo_get "$1" /c/vo/receive "msisdn=$PH2" "to=447700900000" \
        "messageId=$2" "text=$3" "type=text" "keyword=HELLO" \
        "api-key=$VO_KEY" "message-timestamp=$NOW" \
        "timestamp=$(date +%s)" "nonce=$RANDOM-$RANDOM"
}
code=$(VO_SIGN=none vo_inbound "$WORK/v0" VA0 hello)
[ "$code" = 403 ] || sk_fail "unsigned Vonage request: HTTP $code, want 403"
code=$(VO_SIGN=bad vo_inbound "$WORK/v0" VA0 hello)
[ "$code" = 403 ] || sk_fail "badly signed Vonage request: HTTP $code"
[ "$(sk_count inbound)" = 1 ] || sk_fail "a refused Vonage request was stored"

fp_next hang
code=$(vo_inbound "$WORK/v1" VA1 'hello & welcome = yes?')
[ "$code" = 200 ] || sk_fail "signed Vonage request: HTTP $code: $(cat "$WORK/v1")"
[ ! -s "$WORK/v1" ] || sk_fail "Vonage got a reply body: $(cat "$WORK/v1")"
wait_until 10 "the hung Vonage send" has_attempt vonage hang "$PH2"
wait_until 20 "the Vonage question" has_sent vonage "$PH2" "$Q1"
wait_until 20 "the Vonage timeout message" has_sent vonage "$PH2" "$LATER"
sleep 1
[ "$(sent_count vonage "$PH2" "$Q1")" = 1 ] ||
    sk_fail "the Vonage question did not arrive exactly once"
[ "$(sent_count vonage "$PH2" "$LATER")" = 1 ] ||
    sk_fail "the Vonage timeout message did not arrive exactly once"
# a provider retry of the same webhook is not a second message
code=$(vo_inbound "$WORK/v2" VA1 'hello & welcome = yes?')
[ "$code" = 200 ] || sk_fail "Vonage retry: HTTP $code"
[ "$(sk_count inbound)" = 2 ] || sk_fail "the Vonage retry was stored twice"

# a delivery receipt for the question (its row id is the client-ref)
ROW=$(sk_sql "SELECT id FROM outbox WHERE channel = 'vo' AND text = '$Q1';")
MID=$(sk_sql "SELECT external_id FROM outbox WHERE id = $ROW;")
code=$(vo_get "$WORK/d1" /c/vo/status "msisdn=$PH2" "to=447700900000" \
    "messageId=$MID" "status=delivered" "err-code=0" "client-ref=$ROW" \
    "api-key=$VO_KEY" "message-timestamp=$NOW" "timestamp=$(date +%s)")
[ "$code" = 200 ] || sk_fail "Vonage receipt: HTTP $code"
[ "$(sk_sql "SELECT status FROM outbox WHERE id = $ROW;")" = delivered ] ||
    sk_fail "the receipt did not mark the Vonage row delivered"

# --- no double send across a crash ------------------------------------------

fp_next hang
code=$(tw_inbound "$WORK/r3" SMa3 $PH3 hello)
[ "$code" = 200 ] || sk_fail "Twilio request 3: HTTP $code"
wait_until 20 "the hung Twilio send" has_attempt twilio hang "$PH3"
sk_crash
sk_start
# restart recovery gives its verdict on the row in doubt ...
in_doubt_failed() {
    [ "$(sk_sql "SELECT status FROM outbox WHERE channel = 'tw' AND text = '$LATER' ORDER BY id DESC LIMIT 1;")" = failed ]
}
wait_until 30 "recovery to mark the row in doubt failed" in_doubt_failed
sleep 1.5 # ... and several outbox polls and backoffs would resend now
[ "$(attempts twilio hang "$PH3")" = 1 ] || sk_fail "the hung send was retried"
[ "$(attempts twilio ok "$PH3")" = 0 ] ||
    sk_fail "the message was sent again after the restart"
[ "$(sent_count twilio "$PH3" "$LATER")" = 0 ] ||
    sk_fail "the message was sent again after the restart"
[ "$(sk_sql "SELECT status FROM outbox WHERE channel = 'tw' AND text = '$LATER' ORDER BY id DESC LIMIT 1;")" = failed ] ||
    sk_fail "the row in doubt is not marked failed"
grep -q "unknown after restart" "$SK_LOG" ||
    sk_fail "the row in doubt was not logged"

# --- privacy: no number and no text in the gateway's log --------------------

for needle in 254700000001 254700000002 254700000003 "are you safe" \
    welcome "$TW_TOKEN" "$VO_SECRET" "$VO_SIG"; do
    if grep -qF -- "$needle" "$SK_LOG"; then
        sk_fail "the gateway log holds \"$needle\""
    fi
done

sk_alive
sk_stop
fp_stop
sk_log "ok"
