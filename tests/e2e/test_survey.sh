#!/usr/bin/env bash
# A child completes the Wellbeing Check over the generic channel: every
# reply is the expected question; a provider retry is answered byte for
# byte as before and stored once; a crash (SIGKILL) mid-survey loses
# nothing and the survey goes on where it stopped; a second child answers
# in French, a third starts in Arabic, a fourth texts STOP; a fifth
# reuses the first one's message id and gets its own reply. Afterwards no
# trace of the phone numbers is found in anything the gateway wrote, and
# nothing the children typed is in its log.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init survey
sk_need_command serve keygen

GW=$SK_TMP/gw      # everything the gateway writes, and nothing else
WORK=$SK_TMP/work  # the test's own scratch files
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"
sk_start

PHONE_EN=+254700000001
PHONE_FR=+254700000002
PHONE_AR=+254700000003
PHONE_ST=+254700000004
PHONE_X=+254700000005  # reuses another phone's message id
# Distinctive answers, to be found in no log.
WORD1=zebrafruit
WORD2=quokkalantern

# say FROM ID TEXT: posts an inbound SMS, checks 200 and a JSON reply with
# a messages array, and leaves the raw body in $WORK/ID.json.
say() {
    local from=$1 id=$2 text=$3 code
    code=$(sk_http "$WORK/$id.json" \
        --data-urlencode "from=$from" --data-urlencode "text=$text" \
        --data-urlencode "id=$id" \
        "$SK_URL/c/demo/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "message $id: HTTP $code: $(cat "$WORK/$id.json")"
    jq -e '.messages | type == "array"' "$WORK/$id.json" >/dev/null ||
        sk_fail "message $id: reply is not {\"messages\": [...]}: $(cat "$WORK/$id.json")"
}

# expect ID TEXT...: every TEXT occurs in the reply to message ID.
expect() {
    local id=$1 all want
    shift
    all=$(jq -r '.messages | join("\n")' "$WORK/$id.json")
    for want in "$@"; do
        sk_contains "$all" "$want" "reply to message $id"
    done
}

# No byte sequence of a phone number in any file the gateway wrote.
check_no_numbers() {
    local phone digits f
    for phone in "$PHONE_EN" "$PHONE_FR" "$PHONE_AR" "$PHONE_ST" "$PHONE_X"; do
        digits=${phone#+}
        for pat in "$phone" "$digits" "${digits: -9}"; do
            f=$(grep -rlaF -- "$pat" "$GW" || true)
            [ -z "$f" ] || sk_fail "$1: \"$pat\" found in: $f"
        done
    done
}

# --- English, part one -------------------------------------------------
say "$PHONE_EN" e1 "hi"
expect e1 "Reply 1 English, 2 Français, 3 العربية"
# The keyword that started the flow is not taken as the first answer.
[ "$(jq '.messages | length' "$WORK/e1.json")" = 1 ] ||
    sk_fail "the keyword got more than the language question: $(cat "$WORK/e1.json")"
say "$PHONE_EN" e2 "1"
expect e2 "We never ask your name" "STOP" "SKIP" "How safe do you feel"

# A provider retry: same channel and id. Same reply, stored once.
cp "$WORK/e2.json" "$WORK/e2.first"
inbound_before=$(sk_count inbound)
say "$PHONE_EN" e2 "1"
cmp -s "$WORK/e2.first" "$WORK/e2.json" ||
    sk_fail "the retried message got a different reply: $(cat "$WORK/e2.json")"
[ "$(sk_count inbound)" = "$inbound_before" ] ||
    sk_fail "the retried message was stored twice"
[ "$inbound_before" = 2 ] ||
    sk_fail "expected 2 inbound rows after two messages, found $inbound_before"
# Another phone that sends the same id is a new message of its own: it
# gets its own reply, never the first child's, and is stored.
say "$PHONE_X" e2 "hi"
expect e2 "Reply 1 English, 2 Français, 3 العربية"
if cmp -s "$WORK/e2.first" "$WORK/e2.json"; then
    sk_fail "another phone reusing an id got the first child's reply"
fi
[ "$(sk_count inbound)" = 3 ] ||
    sk_fail "another phone's message with a used id was not stored"

say "$PHONE_EN" e3 "3"
expect e3 "Where did you sleep last night?"

# --- crash mid-survey, then carry on -----------------------------------
sk_crash
check_no_numbers "after SIGKILL"
sk_start
say "$PHONE_EN" e4 "3 a camp"
expect e4 "Do you go to school"
say "$PHONE_EN" e5 "$WORD1"
expect e5 "Take your time" "school"
say "$PHONE_EN" e6 "yes"
expect e6 "Has anyone asked you to work"
say "$PHONE_EN" e7 "1"
expect e7 "not your fault" "116 111" "who would you talk to"
say "$PHONE_EN" e8 "4"
expect e8 "You are not alone" "what would help you most"
# An answer that begins with a keyword answers; it does not restart.
say "$PHONE_EN" e9 "Hello, $WORD2 and $WORD1 for everyone"
expect e9 "Thank you for sharing" "116 111"

# --- French, from another phone ----------------------------------------
say "$PHONE_FR" f1 "bonjour"
expect f1 "2 Français"
say "$PHONE_FR" f2 "2"
expect f2 "On ne te demande jamais ton nom" "te sens-tu en sécurité"
say "$PHONE_FR" f3 "1"
expect f3 "Où as-tu dormi"
say "$PHONE_FR" f4 "passer"
expect f4 "Vas-tu à l'école"
say "$PHONE_FR" f5 "oui"
expect f5 "Quelqu'un t'a-t-il demandé"
say "$PHONE_FR" f6 "non"
expect f6 "à qui en parlerais-tu"
say "$PHONE_FR" f7 "2"
expect f7 "qu'est-ce qui t'aiderait"
say "$PHONE_FR" f8 "$WORD2"
expect f8 "Merci d'avoir partagé" "116 111"

# --- Arabic: the keyword and an Arabic-Indic digit ---------------------
say "$PHONE_AR" a1 "مرحبا"
expect a1 "3 العربية"
say "$PHONE_AR" a2 "٣"
expect a2 "لن نسألك عن اسمك" "ما مدى شعورك بالأمان"

# --- STOP: at once, and nothing more is sent ---------------------------
say "$PHONE_ST" s1 "hi"
say "$PHONE_ST" s2 "STOP"
# the confirmation names the first keyword of the flows' triggers
expect s2 "You will get no more messages from us. To start again, send HI."
[ "$(jq '.messages | length' "$WORK/s2.json")" -le 1 ] ||
    sk_fail "STOP got more than a confirmation: $(cat "$WORK/s2.json")"
say "$PHONE_ST" s3 "1"
[ "$(jq '.messages | length' "$WORK/s3.json")" = 0 ] ||
    sk_fail "a message after STOP got a reply: $(cat "$WORK/s3.json")"
[ "$(sk_sql "SELECT count(*) FROM contacts WHERE opted_out = 1;")" = 1 ] ||
    sk_fail "STOP did not opt the contact out"
# the word it names starts the survey again
say "$PHONE_ST" s4 "HI"
expect s4 "Reply 1 English, 2 Français, 3 العربية"
# in French, with "tu" as in the flows
say "$PHONE_FR" f9 "stop"
expect f9 "Tu ne recevras plus de messages de notre part. Pour recommencer, envoie HI."

# --- what was stored ---------------------------------------------------
[ "$(sk_count inbound)" = 25 ] ||
    sk_fail "expected 25 inbound rows, found $(sk_count inbound)"

# has_result NAME CATEGORY: a results row with that name and category.
has_result() {
    local n
    n=$(sk_sql "SELECT count(*) FROM results
                WHERE name = '$1' AND category = '$2';")
    [ "$n" -ge 1 ] || sk_fail "no result \"$1\" = \"$2\" stored"
}
[ "$(sk_sql "SELECT count(*) FROM results
            WHERE input IN ('hi', 'bonjour', 'مرحبا');")" = 0 ] ||
    sk_fail "a keyword that started the survey was stored as an answer"
has_result "Language" "English"
has_result "Language" "French"
has_result "Language" "Arabic"
has_result "Feel Safe" "Not Very Safe"
has_result "Feel Safe" "Very Safe"
has_result "Slept Last Night" "Shelter Or Camp"
has_result "Slept Last Night" "Skipped"
has_result "School" "Other"
has_result "School" "Yes"
has_result "Work For Debt" "Yes"
has_result "Work For Debt" "No"
has_result "Trusted Person" "No One"
has_result "Trusted Person" "Friend"
has_result "Help Most" "Has Text"

# --- privacy -----------------------------------------------------------
sk_stop
check_no_numbers "after the survey"
for word in "$WORD1" "$WORD2"; do
    if grep -qaF -- "$word" "$SK_LOG"; then
        sk_fail "the child's answer \"$word\" appears in the log"
    fi
done
if grep -qaF -- "$SECRET" "$SK_LOG"; then
    sk_fail "the channel secret appears in the log"
fi
sk_log "ok"
