#!/usr/bin/env bash
# The example survey is safe at every turn: the first message names who
# asks and what a reply costs ([flows] organisation and reply_cost, the
# export's value and a start-up warning when one is unset); "Not safe at
# all" and "I sleep outside" get the helpline ([flows] helpline) in the
# same reply as the next question, in English and in French; after the
# survey has ended, a message that is no keyword gets one kind reply in
# the child's language and then silence, never the language menu again,
# while a keyword still starts the survey. STOP and DELETE, in each
# default language, as children type them (punctuation, case, diacritics
# folded, emoji), opt out or erase as a first message and mid-survey.
# Nothing the children typed is in the log.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init survey_safe
sk_need_command serve keygen

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
ORG="Kids Voice Trust"
HELP="0800 720 600"
sk_conf "$GW" "$SECRET"
# the operator fills two of the three; reply_cost keeps the export's value
sed -i "s/^default = Wellbeing Check\$/&\norganisation = $ORG\nhelpline = $HELP/" \
    "$SK_CONF"
grep -q "^helpline = $HELP\$" "$SK_CONF" || sk_fail "config not written"
sk_start

PHONE_EN=+254700000011
PHONE_FR=+254700000012
HUNGRY="J'ai faim. Mon numéro est 0712345678"

say() {
    local from=$1 id=$2 text=$3 code
    code=$(sk_http "$WORK/$id.json" \
        --data-urlencode "from=$from" --data-urlencode "text=$text" \
        --data-urlencode "id=$id" \
        "$SK_URL/c/demo/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "message $id: HTTP $code: $(cat "$WORK/$id.json")"
}
# the whole reply to message ID, one message a line
reply() { jq -r '.messages | join("\n")' "$WORK/$1.json"; }
expect() {
    local id=$1 want
    shift
    for want in "$@"; do
        sk_contains "$(reply "$id")" "$want" "reply to message $id"
    done
}
lacks() {
    case $(reply "$1") in
    *"$2"*) sk_fail "reply to message $1 has \"$2\": $(reply "$1")" ;;
    esac
}
count() { jq '.messages | length' "$WORK/$1.json"; }

grep -q "\[flows\] reply_cost is not set" "$SK_LOG" ||
    sk_fail "no start-up warning for the unset reply_cost: $(cat "$SK_LOG")"
if grep -q "\[flows\] helpline is not set" "$SK_LOG"; then
    sk_fail "a warning for helpline, which is set"
fi

# --- English: who asks, what it costs, the helpline when unsafe ---------
say "$PHONE_EN" e1 "hi"
expect e1 "Hi from $ORG!" "Free to reply." "Reply 1 English, 2 Français"
say "$PHONE_EN" e2 "1"
expect e2 "How safe do you feel"
say "$PHONE_EN" e3 "Not safe at all"
expect e3 "You deserve to be safe" "$HELP" "Where did you sleep last night?"
# (the menu's word: "I sleep outside" in a sentence is also a disclosure
# to safeguarding, which answers with the referral and the same helpline)
say "$PHONE_EN" e4 "outside"
expect e4 "Sleeping outside is hard" "$HELP" "Do you go to school"
say "$PHONE_EN" e5 "1"
say "$PHONE_EN" e6 "2"
expect e6 "who would you talk to"
say "$PHONE_EN" e7 "1"
expect e7 "what would help you most"
say "$PHONE_EN" e8 "food and a bed"
expect e8 "Thank you for sharing" "$HELP" "Text HI to talk again"
for id in e1 e2 e3 e4 e5 e6 e7 e8; do
    lacks "$id" "116 111" # the operator's number, not the export's
done
# after the end: one kind reply, not the language menu
say "$PHONE_EN" e9 "$HUNGRY"
[ "$(count e9)" = 1 ] || sk_fail "after the end: $(reply e9)"
expect e9 "Thank you for your message." "free helpline $HELP" "send HI."
lacks e9 "Reply 1 English"
say "$PHONE_EN" e10 "are you there"
[ "$(count e10)" = 0 ] || sk_fail "a second kind reply the same day: $(reply e10)"

# --- French ---------------------------------------------------------------
say "$PHONE_FR" f1 "bonjour"
expect f1 "Hi from $ORG!"
say "$PHONE_FR" f2 "2"
expect f2 "te sens-tu en sécurité"
say "$PHONE_FR" f3 "pas du tout"
expect f3 "Tu as droit à la sécurité" "$HELP" "Où as-tu dormi"
say "$PHONE_FR" f4 "dehors"
expect f4 "Dormir dehors" "$HELP" "Vas-tu à l'école"
say "$PHONE_FR" f5 "1"
say "$PHONE_FR" f6 "2"
say "$PHONE_FR" f7 "1"
say "$PHONE_FR" f8 "manger"
expect f8 "Merci d'avoir partagé" "$HELP" "Envoie SALUT"
say "$PHONE_FR" f9 "$HUNGRY"
[ "$(count f9)" = 1 ] || sk_fail "after the end (fra): $(reply f9)"
expect f9 "Merci pour ton message." "$HELP" "envoie HI."
lacks f9 "Reply 1 English"
say "$PHONE_FR" f10 "$HUNGRY"
[ "$(count f10)" = 0 ] || sk_fail "a second kind reply (fra): $(reply f10)"
# a keyword still starts the survey
say "$PHONE_FR" f11 "salut"
expect f11 "Reply 1 English, 2 Français"

# --- STOP and DELETE in every default language ----------------------------
key_of() { sk_sql "SELECT contact_key FROM inbound WHERE external_id = '$1';"; }
n=0
# WORD KIND: as a first message, then mid-survey (after the first question)
for pair in "STOP 🙏|stop" "arrete|stop" "Arrête !|stop" "توقف.|stop" \
    "Acha!|stop" "¡Para!|stop" "Pare.|stop" \
    "Delete!|erase" "SUPPRIMER.|erase" "احذف 🙏|erase" "FUTA|erase" \
    "¡Borra!|erase" "apagar|erase"; do
    word=${pair%|*} kind=${pair#*|}
    n=$((n + 1))
    first=+2547001100$(printf '%02d' "$n")
    mid=+2547001200$(printf '%02d' "$n")
    before=$(sk_count contacts)
    say "$first" "o${n}a" "$word"
    [ "$(count "o${n}a")" = 1 ] || sk_fail "\"$word\" first: $(reply "o${n}a")"
    lacks "o${n}a" "Reply 1 English"
    if [ "$kind" = stop ]; then
        [ "$(sk_sql "SELECT opted_out FROM contacts WHERE key = '$(key_of "o${n}a")';")" = 1 ] ||
            sk_fail "\"$word\" as a first message did not opt out"
    else
        [ "$(sk_count contacts)" = "$before" ] ||
            sk_fail "\"$word\" as a first message left a contact"
    fi
    say "$mid" "o${n}b" "hi"
    say "$mid" "o${n}c" "1"
    expect "o${n}c" "How safe do you feel"
    k=$(key_of "o${n}c")
    say "$mid" "o${n}d" "$word"
    [ "$(count "o${n}d")" = 1 ] || sk_fail "\"$word\" mid-survey: $(reply "o${n}d")"
    lacks "o${n}d" "Where did you sleep"
    if [ "$kind" = stop ]; then
        [ "$(sk_sql "SELECT opted_out FROM contacts WHERE key = '$k';")" = 1 ] ||
            sk_fail "\"$word\" mid-survey did not opt out"
        say "$mid" "o${n}e" "2"
        [ "$(count "o${n}e")" = 0 ] ||
            sk_fail "an answer after \"$word\": $(reply "o${n}e")"
    else
        [ "$(sk_sql "SELECT (SELECT count(*) FROM contacts WHERE key = '$k') + (SELECT count(*) FROM results WHERE contact_key = '$k') + (SELECT count(*) FROM inbound WHERE contact_key = '$k');")" = 0 ] ||
            sk_fail "\"$word\" mid-survey left rows of the contact"
    fi
done

# --- what was stored and logged -----------------------------------------
[ "$(sk_sql "SELECT count(*) FROM contacts WHERE afterword_at > 0;")" = 2 ] ||
    sk_fail "the kind replies were not noted"
for word in "faim" "0712345678" "food and a bed" "are you there"; do
    if grep -qF -- "$word" "$SK_LOG"; then
        sk_fail "\"$word\" is in the log"
    fi
done
sk_stop
sk_log "ok"
