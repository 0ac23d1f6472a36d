#!/usr/bin/env bash
# A child completes the Wellbeing Check over USSD on an Africa's Talking
# channel, with the request sequence Africa's Talking sends: one sessionId,
# text "" on the first request and then every answer so far joined by "*".
# Every question comes as "CON ..." within one USSD screen, the last
# screen as "END ..."; a retried request gets the identical answer and is
# stored once; a second child answers in French. A wrong secret is
# refused; an SMS callback on the same channel is stored and its reply
# queued for the messaging API, and dialling in then takes over the
# child's SMS run. Neither the phone numbers nor the answers typed nor the
# session ids reach the log.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init ussd
sk_need_command serve keygen

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
# No username/api_key: nothing is sent by SMS; USSD answers in the response.
sk_conf "$GW" "$SECRET" "
[channel at]
type = africastalking
secret = $SECRET
number = 12345"
sk_start

PHONE_EN=+254711000001
PHONE_FR=+254711000002
PHONE_SMS=+254711000003
SESSION_EN=ATUid_e2e$RANDOM${RANDOM}en
SESSION_FR=ATUid_e2e$RANDOM${RANDOM}fr
WORD=marmalade$RANDOM

# step OUT SESSION PHONE TEXT: one USSD request; 200 and text/plain, the
# answer in $WORK/OUT.
step() {
    local out=$1 session=$2 phone=$3 text=$4 code
    code=$(sk_http "$WORK/$out" -D "$WORK/$out.hdr" \
        --data-urlencode "sessionId=$session" \
        --data-urlencode "serviceCode=*384*123#" \
        --data-urlencode "phoneNumber=$phone" \
        --data-urlencode "networkCode=63902" \
        --data-urlencode "text=$text" \
        "$SK_URL/c/at/ussd?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "USSD $out: HTTP $code: $(cat "$WORK/$out")"
    grep -qi '^content-type: text/plain' "$WORK/$out.hdr" ||
        sk_fail "USSD $out: not text/plain"
}

# expect OUT CON|END TEXT...: the answer starts "CON " or "END ", fits one
# USSD screen and holds every TEXT.
expect() {
    local out=$1 kind=$2 body chars want
    shift 2
    body=$(cat "$WORK/$out")
    case $body in
    "$kind "*) ;;
    *) sk_fail "USSD $out: expected \"$kind ...\", got: $body" ;;
    esac
    chars=$(LC_ALL=C.UTF-8 wc -m <"$WORK/$out")
    [ "$chars" -le 182 ] || sk_fail "USSD $out: $chars characters (over 182)"
    for want in "$@"; do
        sk_contains "$body" "$want" "USSD $out"
    done
}

# --- a wrong secret, a channel without USSD ------------------------------
code=$(sk_http "$WORK/denied" --data "sessionId=x&phoneNumber=%2B1&text=" \
    "$SK_URL/c/at/ussd?secret=wrong")
[ "$code" = 403 ] || sk_fail "wrong secret: HTTP $code"
code=$(sk_http "$WORK/generic" --data "sessionId=x&phoneNumber=%2B1&text=" \
    "$SK_URL/c/demo/ussd?secret=$SECRET")
[ "$code" = 404 ] || sk_fail "USSD on a generic channel: HTTP $code"

# --- English: the whole survey in one session ----------------------------
S=$SESSION_EN P=$PHONE_EN
step e0 "$S" "$P" ""
expect e0 CON "Reply 1 English, 2 Français"
step e1 "$S" "$P" "1"
# the question is kept whole; the notice before it is cut to fit
expect e1 CON "We never ask your name" "How safe do you feel where you are now? 1 Very safe 2 A bit safe 3 Not very safe 4 Not safe at all"

# Africa's Talking retries a step: same sessionId and text.
cp "$WORK/e1" "$WORK/e1.first"
inbound_before=$(sk_count inbound)
step e1 "$S" "$P" "1"
cmp -s "$WORK/e1.first" "$WORK/e1" ||
    sk_fail "the retried step got a different answer: $(cat "$WORK/e1")"
[ "$(sk_count inbound)" = "$inbound_before" ] ||
    sk_fail "the retried step was stored twice"

step e2 "$S" "$P" "1*3"
expect e2 CON "Where did you sleep last night?"
step e3 "$S" "$P" "1*3*3"
expect e3 CON "Do you go to school"
step e4 "$S" "$P" "1*3*3*$WORD"
expect e4 CON "Take your time" "school"
step e5 "$S" "$P" "1*3*3*$WORD*1"
expect e5 CON "Has anyone asked you to work"
step e6 "$S" "$P" "1*3*3*$WORD*1*2"
expect e6 CON "who would you talk to"
step e7 "$S" "$P" "1*3*3*$WORD*1*2*2"
expect e7 CON "what would help you most"
step e8 "$S" "$P" "1*3*3*$WORD*1*2*2*$WORD"
expect e8 END "Thank you for sharing" "116 111"

# --- French, from another phone -------------------------------------------
S=$SESSION_FR P=$PHONE_FR
step f0 "$S" "$P" ""
expect f0 CON "2 Français"
step f1 "$S" "$P" "2"
expect f1 CON "te sens-tu en sécurité"
step f2 "$S" "$P" "2*1"
expect f2 CON "Où as-tu dormi"
step f3 "$S" "$P" "2*1*1"
expect f3 CON "Vas-tu à l'école"
step f4 "$S" "$P" "2*1*1*3"
expect f4 CON "Quelqu'un t'a-t-il demandé"
step f5 "$S" "$P" "2*1*1*3*2"
expect f5 CON "à qui en parlerais-tu"
step f6 "$S" "$P" "2*1*1*3*2*1"
expect f6 CON "qu'est-ce qui t'aiderait"
step f7 "$S" "$P" "2*1*1*3*2*1*$WORD"
expect f7 END "Merci d'avoir partagé"

# --- SMS on the same channel, then USSD from that phone ------------------
sms() {
    sk_http "$WORK/$1" --data-urlencode "from=$PHONE_SMS" \
        --data-urlencode "to=12345" --data-urlencode "text=$2" \
        --data-urlencode "id=ATXid_$1" --data-urlencode "linkId=L1" \
        --data-urlencode "date=2024-03-05 09:12:45" \
        --data-urlencode "networkCode=63902" \
        "$SK_URL/c/at/receive?secret=$SECRET"
}
code=$(sms s1 hi)
[ "$code" = 200 ] || sk_fail "SMS callback: HTTP $code: $(cat "$WORK/s1")"
[ ! -s "$WORK/s1" ] || sk_fail "SMS callback: a body in the answer"
code=$(sms s1 hi)
[ "$code" = 200 ] || sk_fail "retried SMS callback: HTTP $code"
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE channel = 'at';")" = 1 ] ||
    sk_fail "the SMS reply was not queued once for the messaging API"
step u0 ussd-sms-1 "$PHONE_SMS" ""
expect u0 CON "Reply 1 English"
step u1 ussd-sms-1 "$PHONE_SMS" "3"
expect u1 CON "كم تشعر بالأمان"
# delivery reports: acknowledged (no row has that id), nonsense refused
code=$(sk_http "$WORK/d1" --data "id=ATXid_none&status=Success" \
    "$SK_URL/c/at/status?secret=$SECRET")
[ "$code" = 200 ] || sk_fail "delivery report: HTTP $code"
code=$(sk_http "$WORK/d2" --data "id=ATXid_none&status=Lost" \
    "$SK_URL/c/at/status?secret=$SECRET")
[ "$code" = 400 ] || sk_fail "unknown delivery status: HTTP $code"

# --- what was stored --------------------------------------------------------
[ "$(sk_count inbound)" = 20 ] ||
    sk_fail "expected 20 inbound rows, found $(sk_count inbound)"
[ "$(sk_sql "SELECT count(*) FROM outbox;")" = 1 ] ||
    sk_fail "a USSD answer was queued for SMS"
has_result() {
    [ "$(sk_sql "SELECT count(*) FROM results
                 WHERE name = '$1' AND category = '$2';")" -ge 1 ] ||
        sk_fail "no result \"$1\" = \"$2\" stored"
}
has_result "Language" "English"
has_result "Language" "French"
has_result "Language" "Arabic"
has_result "Feel Safe" "Not Very Safe"
has_result "Feel Safe" "Very Safe"
has_result "School" "Other"
has_result "Work For Debt" "No"
has_result "Trusted Person" "Friend"
has_result "Help Most" "Has Text"

# --- privacy ----------------------------------------------------------------
sk_stop
for pat in "$PHONE_EN" "${PHONE_EN#+}" "$PHONE_FR" "${PHONE_FR#+}" \
    "$PHONE_SMS" "${PHONE_SMS#+}"; do
    f=$(grep -rlaF -- "$pat" "$GW" || true)
    [ -z "$f" ] || sk_fail "\"$pat\" found in: $f"
done
for pat in "$WORD" "$SESSION_EN" "$SESSION_FR" "$SECRET"; do
    if grep -qaF -- "$pat" "$SK_LOG"; then
        sk_fail "\"$pat\" appears in the log"
    fi
done
grep -qa "cut to the USSD screen" "$SK_LOG" ||
    sk_fail "a cut USSD answer was not noted in the log"
sk_log "ok"
