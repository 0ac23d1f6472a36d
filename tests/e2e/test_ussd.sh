#!/usr/bin/env bash
# A child completes the Wellbeing Check over USSD on an Africa's Talking
# channel, with the request sequence Africa's Talking sends: one sessionId,
# text "" on the first request and then every answer so far joined by "*".
# Every answer is "CON ..." within one USSD screen (182 characters, 80 for
# text that is not GSM-7), the last one "END ...". What does not fit one
# screen is never cut: it comes on pages, each but the last ending with a
# "00 More" line in the child's language, and the answer 00 shows the next
# page. The debt-disclosure branch shows the whole helpline message; the
# French intro keeps its STOP sentence; Arabic pages on the smaller
# screen; a child may answer the question before reaching its page; a
# retried request (a page included) gets the identical answer and is
# stored once. A wrong secret is refused; an SMS callback on the same
# channel is stored and its reply queued for the messaging API, and
# dialling in then takes over the child's SMS run. Neither the phone
# numbers nor the answers typed nor the session ids reach the log.
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
MORE_EN="00 More"
MORE_FR="00 Plus"
MORE_AR="00 المزيد"

# Every distinct step sent (sessionId and text): each is one inbound row.
declare -A STEPS=()

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
    STEPS["$session|$text"]=1
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

# more OUT LINE: the answer is a page with more to come: its last line is
# LINE. last OUT: it is the last page of its step.
more() {
    [ "$(tail -n 1 "$WORK/$1")" = "$2" ] ||
        sk_fail "USSD $1: expected a page ending \"$2\", got: $(cat "$WORK/$1")"
}
last() {
    case $(tail -n 1 "$WORK/$1") in
    "00 "*) sk_fail "USSD $1: a page with more to come: $(cat "$WORK/$1")" ;;
    esac
}

# narrow OUT: the answer fits a screen of text that is not GSM-7.
narrow() {
    local chars
    chars=$(LC_ALL=C.UTF-8 wc -m <"$WORK/$1")
    [ "$chars" -le 80 ] || sk_fail "USSD $1: $chars characters (over 80)"
}

# same OUT SESSION PHONE TEXT: the step is sent again, as Africa's Talking
# retries it: the identical answer, nothing stored.
same() {
    local out=$1 before
    cp "$WORK/$out" "$WORK/$out.first"
    before=$(sk_count inbound)
    step "$@"
    cmp -s "$WORK/$out.first" "$WORK/$out" ||
        sk_fail "the retried step $out got a different answer: $(cat "$WORK/$out")"
    [ "$(sk_count inbound)" = "$before" ] ||
        sk_fail "the retried step $out was stored twice"
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
last e0
step e1 "$S" "$P" "1"
# the notice and the question do not fit one screen: the notice whole on
# its page, then the question
expect e1 CON "We never ask your name." \
    "Send SKIP to skip a question, STOP to stop at any time."
more e1 "$MORE_EN"
same e1 "$S" "$P" "1"
step e1m "$S" "$P" "1*00"
expect e1m CON "How safe do you feel where you are now? 1 Very safe 2 A bit safe 3 Not very safe 4 Not safe at all"
last e1m
same e1m "$S" "$P" "1*00" # a retried page
step e2 "$S" "$P" "1*00*3"
expect e2 CON "Where did you sleep last night?"
last e2
# 00 with no page to show is an answer like any other
step e2x "$S" "$P" "1*00*3*00"
expect e2x CON "Take your time" "Where did you sleep"
step e3 "$S" "$P" "1*00*3*00*3"
expect e3 CON "Do you go to school"
step e4 "$S" "$P" "1*00*3*00*3*$WORD"
expect e4 CON "Take your time" "school"
step e5 "$S" "$P" "1*00*3*00*3*$WORD*1"
expect e5 CON "Has anyone asked you to work"
# a disclosure: the helpline message reaches the child whole, then the
# next question
E=1*00*3*00*3*$WORD*1*1
step e6 "$S" "$P" "$E"
expect e6 CON "Thank you for telling us. This is not your fault. Call 116 111 for free, any time, to talk to someone safe."
more e6 "$MORE_EN"
step e6m "$S" "$P" "$E*00"
expect e6m CON "If something was wrong, who would you talk to?" "5 Someone else"
last e6m
step e7 "$S" "$P" "$E*00*2"
expect e7 CON "what would help you most"
step e8 "$S" "$P" "$E*00*2*$WORD"
expect e8 END "Thank you for sharing" "116 111"
last e8

# --- French, from another phone -------------------------------------------
S=$SESSION_FR P=$PHONE_FR
step f0 "$S" "$P" ""
expect f0 CON "2 Français"
step f1 "$S" "$P" "2"
expect f1 CON "On ne te demande jamais ton nom." \
    "Envoie PASSER pour sauter une question, STOP pour quitter."
more f1 "$MORE_FR"
# the child answers the question before its page: the flow goes on
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

# --- SMS on the same channel, then USSD from that phone, in Arabic ---------
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
S=ussd-sms-1 P=$PHONE_SMS
step u0 "$S" "$P" ""
expect u0 CON "Reply 1 English"
# Arabic is not GSM-7: the intro and the first question take several
# narrow pages; 00 turns them
T=3 n=1 pages=""
step u1 "$S" "$P" "$T"
while :; do
    expect u$n CON
    narrow u$n
    body=$(cat "$WORK/u$n")
    body=${body#CON }
    [ "$(tail -n 1 "$WORK/u$n")" = "$MORE_AR" ] || break
    pages="$pages ${body%$'\n'"$MORE_AR"}"
    [ "$n" = 2 ] && same u$n "$S" "$P" "$T" # a retried Arabic page
    [ "$n" -lt 10 ] || sk_fail "USSD: more than 10 pages"
    T=$T*00 n=$((n + 1))
    step u$n "$S" "$P" "$T"
done
pages="$pages $body"
[ "$n" -ge 3 ] || sk_fail "the Arabic intro and question took $n pages"
sk_contains "$pages" "STOP" "the Arabic intro"
sk_contains "$(cat "$WORK/u$n")" "4 لا أمان أبدًا" "the last Arabic page"
step ua "$S" "$P" "$T*1"
expect ua CON "أين نمت"
narrow ua
# delivery reports: acknowledged (no row has that id), nonsense refused
code=$(sk_http "$WORK/d1" --data "id=ATXid_none&status=Success" \
    "$SK_URL/c/at/status?secret=$SECRET")
[ "$code" = 200 ] || sk_fail "delivery report: HTTP $code"
code=$(sk_http "$WORK/d2" --data "id=ATXid_none&status=Lost" \
    "$SK_URL/c/at/status?secret=$SECRET")
[ "$code" = 400 ] || sk_fail "unknown delivery status: HTTP $code"

# --- what was stored --------------------------------------------------------
# every step once, and the one SMS
want=$((${#STEPS[@]} + 1))
[ "$(sk_count inbound)" = "$want" ] ||
    sk_fail "expected $want inbound rows, found $(sk_count inbound)"
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
has_result "Slept Last Night" "Other"
has_result "School" "Other"
has_result "Work For Debt" "Yes"
has_result "Work For Debt" "No"
has_result "Trusted Person" "Friend"
has_result "Help Most" "Has Text"
# a 00 that turned a page never reached the flow; the one with no page
# to turn did
[ "$(sk_sql "SELECT count(*) FROM results WHERE input = '00';")" = 1 ] ||
    sk_fail "a 00 that turned a page was taken as an answer"

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
grep -qa "status=paged .* pages=" "$SK_LOG" ||
    sk_fail "a page turned was not noted in the log"
sk_log "ok"
