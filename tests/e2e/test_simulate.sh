#!/usr/bin/env bash
# `sikiliza simulate --jsonl` on the Wellbeing Check example: scripted
# conversations on stdin, checked event by event (types and fields named
# as goflow names them), with a wait timeout (/timeout), a session expiry
# (/expire), a French run to the end, an Arabic run ended by silence; the
# voice example with keypad and spoken answers; the Referral example; a
# /timeout where the wait has none, an unknown /command and an unknown
# --flow, each answered with a note instead of an end; --lang in any case,
# one the flow has no translation for (a note), unknown ones refused.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init simulate
sk_need_command simulate

FLOW=$SK_SOURCE_DIR/flows/examples/wellbeing_check.json
WORK=$SK_TMP

# simulate NAME [ARGS...] < script: runs the simulator, which must exit 0
# and print only JSON objects, one a line, into $WORK/NAME.jsonl.
simulate() {
    local name=$1 rc=0
    shift
    sk_bin simulate "${SIM_FILE:-$FLOW}" \
        --flow "${SIM_FLOW:-Wellbeing Check}" --jsonl "$@" \
        >"$WORK/$name.jsonl" 2>"$WORK/$name.err" || rc=$?
    [ "$rc" = 0 ] ||
        sk_fail "$name: simulate exited $rc: $(cat "$WORK/$name.err")"
    jq -e -s 'all(type == "object" and has("type"))' "$WORK/$name.jsonl" \
        >/dev/null ||
        sk_fail "$name: output is not one JSON event object a line"
}

# has NAME JQ-FILTER WHAT: some event satisfies the filter.
has() {
    jq -e -s "any(.[]; $2)" "$WORK/$1.jsonl" >/dev/null ||
        sk_fail "$1: no event where $3; events: $(jq -c -s 'map(.type)' "$WORK/$1.jsonl")"
}

# has_not NAME JQ-FILTER WHAT: no event satisfies the filter.
has_not() {
    if jq -e -s "any(.[]; $2)" "$WORK/$1.jsonl" >/dev/null; then
        sk_fail "$1: unexpected event where $3"
    fi
}

# in_order NAME FILTER...: events satisfying the filters occur in this order.
in_order() {
    local name=$1 prev=-1 i
    shift
    for f in "$@"; do
        i=$(jq -s --argjson after "$prev" \
            "[to_entries[] | select(.key > \$after and (.value | $f))
             | .key][0] // -1" "$WORK/$name.jsonl")
        [ "$i" -ge 0 ] || sk_fail "$name: no event where $f after event $prev"
        prev=$i
    done
}

msg() {
    printf '.type == "msg_created" and (.text | contains("%s"))' "$1"
}
result() {
    printf '.type == "run_result_changed" and .name == "%s" and .category == "%s"' \
        "$1" "$2"
}

# --- a timeout, an answer, an unclear answer, a skip, an expiry ----------
simulate english <<'EOF'
1
/timeout
2
zebrafruit
5
skip
1
/expire
EOF
in_order english \
    '.type == "run_started" and .flow == "Wellbeing Check"' \
    "$(msg "Reply 1 English, 2 Français, 3 العربية")" \
    '.type == "msg_wait" and .timeout_seconds == 900' \
    "$(result Language English)" \
    "$(msg "We never ask your name")" \
    "$(msg "How safe do you feel where you are now?")" \
    '.type == "msg_wait" and .timeout_seconds == 900' \
    "$(result "Feel Safe" "No Response")" \
    "$(msg "Take your time. How safe do you feel now?")" \
    "$(result "Feel Safe" "A Bit Safe")" \
    "$(msg "Where did you sleep last night?")" \
    "$(result "Slept Last Night" Other)" \
    "$(msg "Take your time. Where did you sleep")" \
    "$(result "Slept Last Night" Elsewhere)" \
    "$(msg "Do you go to school")" \
    "$(result School Skipped)" \
    "$(msg "Has anyone asked you to work")" \
    "$(result "Work For Debt" Yes)" \
    "$(msg "not your fault")" \
    "$(msg "who would you talk to?")" \
    '.type == "run_ended" and .flow == "Wellbeing Check" and .status == "expired"'
has english '.type == "run_result_changed" and .name == "Feel Safe"
             and .value == "2" and .input == "2"' \
    'Feel Safe has value and input "2"'
has english '.type == "run_result_changed" and .name == "Slept Last Night"
             and .input == "zebrafruit"' 'the unclear answer is the input'
has_not english '.type == "run_ended" and .status == "completed"' \
    'the expired run also completed'

# --- French, to the end ------------------------------------------------
simulate french <<'EOF'
2
4
passer
3
1
4
zebrafruit
EOF
in_order french \
    "$(result Language French)" \
    '.type == "contact_language_changed" and .language == "fra"' \
    "$(msg "On ne te demande jamais ton nom")" \
    "$(msg "te sens-tu en sécurité?")" \
    "$(result "Feel Safe" "Not Safe")" \
    "$(msg "Où as-tu dormi")" \
    "$(result "Slept Last Night" Skipped)" \
    "$(result School No)" \
    "$(result "Work For Debt" Yes)" \
    "$(msg "Ce n'est pas ta faute")" \
    "$(result "Trusted Person" "No One")" \
    "$(msg "Des personnes sont prêtes à t'écouter")" \
    "$(result "Help Most" "Has Text")" \
    "$(msg "Merci d'avoir partagé")" \
    '.type == "run_ended" and .status == "completed"'
has_not french "$(msg "How safe do you feel")" 'English after choosing French'

# --- Arabic, by word; silence at a reminder ends kindly -------------------
simulate arabic <<'EOF'
العربية
/timeout
/timeout
EOF
in_order arabic \
    "$(result Language Arabic)" \
    '.type == "contact_language_changed" and .language == "ara"' \
    "$(msg "لن نسألك عن اسمك")" \
    "$(msg "ما مدى شعورك بالأمان")" \
    "$(result "Feel Safe" "No Response")" \
    "$(msg "لا داعي للعجلة")" \
    "$(result "Feel Safe" "No Response")" \
    "$(msg "سنتوقف هنا")" \
    '.type == "run_ended" and .status == "completed"'

# --- --lang: a flow language or an ISO 639-3 code; no input at all -------
simulate lang --lang fra </dev/null
in_order lang '.type == "run_started"' "$(msg "1 English")" \
    '.type == "msg_wait"'

# a flow of our own: French, and a translation left over from a deleted
# message (kept and ignored, as goflow does)
cat >"$WORK/hello.json" <<'EOF'
{"uuid":"f0000000-0000-4000-8000-0000000000b1","name":"Hello",
 "spec_version":"14.4.2","language":"eng","type":"messaging",
 "localization":{"fra":{
  "a0000000-0000-4000-8000-0000000000b1":{"text":["Bonjour"]},
  "5a0c3e8e-2f61-4b8a-9d07-6c1f0e2b9a11":{"text":["Message supprimé"]}}},
 "nodes":[{"uuid":"n0000000-0000-4000-8000-0000000000b1","actions":[
  {"uuid":"a0000000-0000-4000-8000-0000000000b1","type":"send_msg",
   "text":"Hello"}],
  "exits":[{"uuid":"e0000000-0000-4000-8000-0000000000b1"}]}]}
EOF
# a code in any case is folded: FRA is fra
SIM_FILE=$WORK/hello.json SIM_FLOW=Hello simulate lang_upper --lang FRA \
    </dev/null
in_order lang_upper '.type == "run_started"' "$(msg Bonjour)"
# an ISO 639-3 code the flow has no translation for: its own language,
# with a note
SIM_FILE=$WORK/hello.json SIM_FLOW=Hello simulate lang_swa --lang swa \
    </dev/null
in_order lang_swa "$(msg Hello)"
sk_contains "$(cat "$WORK/lang_swa.err")" \
    'flow "Hello" has no swa translation; it speaks eng' "--lang swa: the note"
# an unknown code is refused, naming it and the flow's languages
for bad in xx zzz french; do
    rc=0
    sk_bin simulate "$FLOW" --flow "Wellbeing Check" --lang "$bad" \
        </dev/null >"$WORK/badlang.out" 2>"$WORK/badlang.err" || rc=$?
    [ "$rc" = 1 ] || sk_fail "--lang $bad: exit $rc, want 1"
    sk_contains "$(cat "$WORK/badlang.err")" \
        "--lang \"$bad\": not an ISO 639-3 language code, nor one of flow \"Wellbeing Check\"'s languages: eng, fra, ara" \
        "--lang $bad: the message"
    [ ! -s "$WORK/badlang.out" ] || sk_fail "--lang $bad: the flow started"
done
# not a code at all: a usage error
rc=0
sk_bin simulate "$FLOW" --lang 12 </dev/null >/dev/null \
    2>"$WORK/badlang.err" || rc=$?
[ "$rc" = 2 ] || sk_fail "--lang 12: exit $rc, want 2"
sk_contains "$(cat "$WORK/badlang.err")" "expected a language code like fra" \
    "--lang 12: the usage message"

# --- the voice example: keypad answers, a recorded (transcribed) answer ---
SIM_FILE=$SK_SOURCE_DIR/flows/examples/wellbeing_check_voice.json \
    SIM_FLOW="Wellbeing Check Voice" simulate voice <<'EOF'
/digits 2
/digits 3
/timeout
/digits 4
/digits 0
/digits 1
zebrafruit
EOF
ivr() {
    printf '.type == "ivr_created" and (.text | contains("%s"))' "$1"
}
in_order voice \
    '.type == "run_started" and .flow == "Wellbeing Check Voice"' \
    '.type == "msg_wait" and .hint == "digits" and .timeout_seconds == 10' \
    "$(result Language French)" \
    '.type == "contact_language_changed" and .language == "fra"' \
    "$(ivr "Nous ne demanderons pas ton nom")" \
    "$(result "Feel Safe" "Not Very Safe")" \
    "$(result "Slept Last Night" "No Response")" \
    "$(ivr "Prends ton temps")" \
    "$(result "Slept Last Night" Outside)" \
    "$(result School Skipped)" \
    "$(result "Work For Debt" Yes)" \
    "$(ivr "Ce n'est pas ta faute")" \
    '.type == "msg_wait" and .hint == "audio"' \
    "$(result "Help Most" "Has Text")" \
    "$(ivr "Ta voix compte")" \
    '.type == "run_ended" and .status == "completed"'
has_not voice '.type == "msg_created"' 'a voice flow sent an SMS'

# --- the Referral example: consent to be contacted ------------------------
SIM_FILE=$SK_SOURCE_DIR/flows/examples/referral.json SIM_FLOW=Referral \
    simulate referral <<'EOF'
maybe
1
EOF
in_order referral \
    '.type == "run_started" and .flow == "Referral"' \
    "$(msg "not your fault")" \
    "$(msg "Only say yes if this phone is safe for you")" \
    "$(result "Wants Contact" Other)" \
    "$(msg "Take your time")" \
    "$(result "Wants Contact" Yes)" \
    "$(msg "A trained person will contact you")" \
    '.type == "run_ended" and .status == "completed"'

# --- /timeout on a wait without one, an unknown /command: notes, go on ---
jq 'del(.flows[].nodes[].router.wait.timeout)' \
    "$SK_SOURCE_DIR/flows/examples/referral.json" >"$WORK/notimeout.json"
SIM_FILE=$WORK/notimeout.json SIM_FLOW=Referral simulate notimeout <<'EOF'
/timeout
/bogus 12
1
EOF
in_order notimeout \
    '.type == "run_started" and .flow == "Referral"' \
    "$(result "Wants Contact" Yes)" \
    '.type == "run_ended" and .status == "completed"'
sk_contains "$(cat "$WORK/notimeout.err")" "this wait has no timeout" \
    "/timeout without a timeout"
sk_contains "$(cat "$WORK/notimeout.err")" \
    "unknown command /bogus; the commands are /timeout, /expire" \
    "an unknown /command"
# in the chat, the notes are part of the conversation
chat=$(printf '/timeout\n/nope\n' |
    sk_bin simulate "$WORK/notimeout.json" 2>&1) ||
    sk_fail "chat with notes: simulate failed: $chat"
sk_contains "$chat" "(this wait has no timeout" "chat: /timeout note"
sk_contains "$chat" "(unknown command /nope; the commands are" \
    "chat: unknown /command note"

# --- --flow naming no flow: the flows the file has ------------------------
rc=0
sk_bin simulate "$SK_SOURCE_DIR/flows/examples" --flow Nope \
    </dev/null >"$WORK/nope.out" 2>"$WORK/nope.err" || rc=$?
[ "$rc" = 1 ] || sk_fail "--flow Nope: exit $rc, want 1"
for name in Referral "Wellbeing Check" "Wellbeing Check Voice"; do
    grep -q "^  [0-9a-f-]*  $name\$" "$WORK/nope.err" ||
        sk_fail "--flow Nope does not list \"$name\": $(cat "$WORK/nope.err")"
done

# --- --tz: dates are shown in the zone; an unknown zone is refused --------
cat >"$WORK/tz.json" <<'EOF'
{"uuid":"f0000000-0000-4000-8000-0000000000a1","name":"Tz",
 "spec_version":"14.4.2","language":"eng","type":"messaging",
 "nodes":[{"uuid":"n0000000-0000-4000-8000-0000000000a1","actions":[
  {"uuid":"a0000000-0000-4000-8000-0000000000a1","type":"send_msg",
   "text":"Hour @(format_datetime(\"2024-01-01T12:00:00Z\", \"tt\"))"}],
  "exits":[{"uuid":"e0000000-0000-4000-8000-0000000000a1"}]}]}
EOF
out=$(sk_bin simulate "$WORK/tz.json" </dev/null 2>&1) ||
    sk_fail "tz default: simulate failed: $out"
sk_contains "$out" "Hour 12" "the default zone is UTC"
out=$(sk_bin simulate "$WORK/tz.json" --tz Africa/Nairobi </dev/null 2>&1) ||
    sk_fail "--tz Africa/Nairobi: simulate failed: $out"
sk_contains "$out" "Hour 15" "--tz Africa/Nairobi shows 12:00 UTC as 15"
rc=0
sk_bin simulate "$WORK/tz.json" --tz Nowhere/Zone </dev/null \
    >/dev/null 2>"$WORK/tz.err" || rc=$?
[ "$rc" = 1 ] || sk_fail "--tz Nowhere/Zone: exit $rc, want 1"
sk_contains "$(cat "$WORK/tz.err")" "timezone Nowhere/Zone: unknown" \
    "--tz with an unknown zone"

# -c takes the [flows] environment of a config; --tz wins over it
printf '[flows]\ndir = %s\ntimezone = Africa/Nairobi\n' "$WORK" \
    >"$WORK/tz.ini"
out=$(sk_bin simulate "$WORK/tz.json" -c "$WORK/tz.ini" </dev/null 2>&1) ||
    sk_fail "-c: simulate failed: $out"
sk_contains "$out" "Hour 15" "-c takes the config's timezone"
out=$(sk_bin simulate "$WORK/tz.json" -c "$WORK/tz.ini" --tz UTC \
    </dev/null 2>&1) || sk_fail "-c --tz UTC: simulate failed: $out"
sk_contains "$out" "Hour 12" "--tz overrides the config's timezone"

# --- a zone named in an expression has its rule from the zone database ---
cat >"$WORK/away.json" <<'EOF'
{"uuid":"f0000000-0000-4000-8000-0000000000a2","name":"Away",
 "spec_version":"14.4.2","language":"eng","type":"messaging",
 "nodes":[{"uuid":"n0000000-0000-4000-8000-0000000000a2","actions":[
  {"uuid":"a0000000-0000-4000-8000-0000000000a2","type":"send_msg",
   "text":"Paris @(format_datetime(\"2024-07-01T12:00:00Z\", \"tt:mm ZZZ\", \"Europe/Paris\")) LA @(format_datetime(parse_datetime(\"2024-01-01 09:30\", \"YYYY-MM-DD tt:mm\", \"America/Los_Angeles\"), \"tt:mm\", \"UTC\"))"}],
  "exits":[{"uuid":"e0000000-0000-4000-8000-0000000000a2"}]}]}
EOF
out=$(sk_bin simulate "$WORK/away.json" --tz Africa/Nairobi </dev/null 2>&1) ||
    sk_fail "zone by name: simulate failed: $out"
sk_contains "$out" "Paris 14:00 +02:00 LA 17:30" \
    "zones named in expressions follow their daylight saving rules"

sk_log "ok"
