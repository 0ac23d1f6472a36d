#!/usr/bin/env bash
# Safeguarding end to end, with the real gateway, the example flows and a
# local webhook receiver (sk-hook) that the config allows over plain http
# explicitly (notify_allow_http = yes):
#
# - a disclosure mid-survey (English) and as a first message (French,
#   Arabic, Swahili) starts the referral in the same reply, in the
#   child's language: the Referral flow, or, without one, the built-in
#   message; the survey run is interrupted; one alert row each;
# - after a disclosure, a message that matches no keyword gets the one
#   kind reply (the afterword), never the survey again from its start,
#   whether the referral completed, still waits, or was the built-in
#   message; it is still checked for disclosure;
# - the day's reply cap never drops the referral or the helpline;
# - "stop hitting me" alerts (no opt-out), "I hit the ball" does not;
#   STOP and DELETE keep working;
# - the receiver is down at first: the alerts reach it once it is up,
#   one notification per alert (and one SMS to the on-call number through
#   a channel that sends), carrying the alert id and the contact's
#   short reference, never the text or the number;
# - an alert still pending when the gateway crashes is sent after the
#   restart;
# - `sikiliza alerts` lists them; `sikiliza reveal` prints the address and
#   writes an audit row first, refuses an empty reason, and says when the
#   address has expired from the vault;
# - with no [safeguarding] section at all, the defaults still alert;
#   a plain http notify_url without notify_allow_http stops the start;
#   enabled = no warns;
# - the logs carry no text and no number.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init safeguard
sk_need_command serve keygen alerts reveal audit
[ -n "${SK_HOOK:-}" ] && [ -x "$SK_HOOK" ] ||
    sk_skip "SK_HOOK is not set to the built sk-hook receiver"

GW=$SK_TMP/gw
SECRET=e2e-$RANDOM$RANDOM-secret
HOOK_PORT=$(sk_free_port)
HOOK_OUT=$SK_TMP/hook.out
HOOK_PID=
WAIT=20

stop_hook() {
    if [ -n "$HOOK_PID" ]; then
        kill -TERM "$HOOK_PID" 2>/dev/null || true
        wait "$HOOK_PID" 2>/dev/null || true
        HOOK_PID=
    fi
}
trap 'stop_hook; sk_cleanup' EXIT

start_hook() {
    local i
    "$SK_HOOK" -l "$HOOK_PORT" -o "$HOOK_OUT" >>"$SK_TMP/hook.log" 2>&1 &
    HOOK_PID=$!
    for ((i = 0; i < 100; i++)); do
        curl -fsS --max-time 1 -o /dev/null \
            "http://127.0.0.1:$HOOK_PORT/ping" 2>/dev/null && return 0
        kill -0 "$HOOK_PID" 2>/dev/null || break
        sleep 0.1
    done
    sk_fail "sk-hook did not start on port $HOOK_PORT"
}

# say FROM ID TEXT: one message; the reply's texts, one per line.
say() {
    local code
    code=$(sk_http "$SK_TMP/reply.json" --data-urlencode "from=$1" \
        --data-urlencode "id=$2" --data-urlencode "text=$3" \
        "$SK_URL/c/demo/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "message $2: HTTP $code"
    jq -r '.messages[]' "$SK_TMP/reply.json"
}

key_of() { # the contact key of the newest inbound row of message id $1
    sk_sql "SELECT contact_key FROM inbound WHERE external_id = '$1';"
}

wait_for() { # SQL WANT
    local deadline=$((SECONDS + WAIT)) got
    while :; do
        got=$(sk_sql "$1")
        [ "$got" = "$2" ] && return 0
        [ "$SECONDS" -lt "$deadline" ] || break
        sleep 0.1
    done
    sk_fail "waited for \"$1\" to be $2, got $got"
}

no_secrets_in_log() { # FILE WORDS...: none of WORDS in the log
    local f=$1 w
    shift
    for w in "$@"; do
        if grep -qF -- "$w" "$f"; then
            sk_fail "the log holds \"$w\""
        fi
    done
}

# --- a gateway with the Referral flow and a webhook -----------------------
STAFF=+254711000999
sk_conf "$GW" "$SECRET" "
[channel oncall]
type = generic
secret = $SECRET
send_url = http://127.0.0.1:$HOOK_PORT/send

[safeguarding]
flow = Referral
notify_url = http://127.0.0.1:$HOOK_PORT/hook
notify_allow_http = yes
notify_channel = oncall
notify_numbers = +254 711 000 999

[outbox]
poll_ms = 100
max_attempts = 100
backoff_base_ms = 200
backoff_max_ms = 1000"
sk_start
grep -q 'safeguarding on' "$SK_LOG" ||
    sk_fail "the start does not say that safeguarding is on"

# Mid-survey, in English: the survey's run is interrupted and the
# referral starts in the same reply.
P1=+254700000101
say "$P1" m1 "hi" >/dev/null
say "$P1" m2 "1" >/dev/null
out=$(say "$P1" m3 "my uncle hits me and I want to die")
sk_contains "$out" "Thank you for telling us" "the referral, mid-survey"
sk_contains "$out" "116 111" "the helpline, mid-survey"
K1=$(key_of m3)
[ "$(sk_sql "SELECT count(*) FROM alerts WHERE contact_key = '$K1';")" = 1 ] ||
    sk_fail "a disclosure mid-survey made not one alert"
[ "$(sk_sql "SELECT category || ' ' || language || ' ' || channel FROM alerts WHERE contact_key = '$K1';")" = "self_harm eng demo" ] ||
    sk_fail "alert: $(sk_sql "SELECT * FROM alerts WHERE contact_key = '$K1';")"
sk_contains "$(sk_sql "SELECT session FROM contacts WHERE key = '$K1';")" \
    '"Referral"' "the session after the disclosure"
# the answer goes to the referral flow; no second alert while in it
out=$(say "$P1" m4 "1 yes he beats me")
sk_contains "$out" "A trained person will contact you" "the referral's answer"
[ "$(sk_sql "SELECT count(*) FROM alerts WHERE contact_key = '$K1';")" = 1 ] ||
    sk_fail "an answer to the referral raised a second alert"
# the referral has completed: the next message gets the kind reply
out=$(say "$P1" m5 "ok thanks")
sk_contains "$out" "Thank you for your message." "after the referral"
sk_contains "$out" "call the free helpline 116 111" "after the referral"
case $out in *"Reply 1 English"* | *"How safe"*)
    sk_fail "the survey again after the referral: $out" ;;
esac

# First messages, in the child's language.
P2=+254700000102
out=$(say "$P2" f1 "Bonjour. Mon beau-père me frappe tous les jours")
sk_contains "$out" "Merci de nous l'avoir dit" "the French referral"
P3=+254700000103
out=$(say "$P3" a1 "أبي يضربني كل يوم")
sk_contains "$out" "116 111" "the Arabic referral"
sk_contains "$out" "أخبرتنا" "the Arabic referral"
P4=+254700000104
out=$(say "$P4" s1 "Nililala nje jana usiku")
# the Referral flow has no Swahili, the built-in message has
sk_contains "$out" "Asante kwa kutuambia" "the referral of a Swahili disclosure"
sk_contains "$out" "116 111" "the referral of a Swahili disclosure"
[ "$(sk_sql "SELECT category || ' ' || language FROM alerts WHERE contact_key = '$(key_of s1)';")" = "neglect swa" ] ||
    sk_fail "the Swahili alert: $(sk_sql "SELECT * FROM alerts WHERE contact_key = '$(key_of s1)';")"
# the built-in message left no run: "ok thanks" gets the kind reply in
# Swahili, not the language menu
out=$(say "$P4" s2 "sawa asante")
sk_contains "$out" "Asante kwa ujumbe wako." "after the built-in referral"
case $out in *"Reply 1 English"*)
    sk_fail "the language menu after a disclosure: $out" ;;
esac

# "stop hitting me" is a disclosure, not an opt-out; "I hit the ball" is
# neither.
P5=+254700000105
out=$(say "$P5" h1 "Stop hitting me!")
sk_contains "$out" "Thank you for telling us" "\"stop hitting me\""
K5=$(key_of h1)
[ "$(sk_sql "SELECT opted_out FROM contacts WHERE key = '$K5';")" = 0 ] ||
    sk_fail "\"stop hitting me\" opted out"
P6=+254700000106
out=$(say "$P6" b1 "I hit the ball")
case $out in *"Thank you for telling us"*)
    sk_fail "\"I hit the ball\" was taken as a disclosure" ;;
esac
[ "$(sk_sql "SELECT count(*) FROM alerts WHERE contact_key = '$(key_of b1)';")" = 0 ] ||
    sk_fail "\"I hit the ball\" raised an alert"
out=$(say "$P6" b2 "STOP")
sk_contains "$(sk_sql "SELECT opted_out FROM contacts WHERE key = '$(key_of b2)';")" \
    1 "STOP after a plain message"
[ "$(sk_count alerts)" = 5 ] || sk_fail "$(sk_count alerts) alerts, want 5"

# The receiver was down: nothing delivered, retries pending.
sleep 1
[ ! -s "$HOOK_OUT" ] || sk_fail "a receiver that is down got something"
[ "$(sk_sql "SELECT count(*) FROM alerts WHERE status = 'notified';")" = 0 ] ||
    sk_fail "alerts notified while the receiver was down"
sk_sql "SELECT count(*) FROM alerts WHERE attempts > 0;" | grep -qv '^0$' ||
    sk_fail "no notification was attempted while the receiver was down"

# Once it is up, every alert reaches it, once, and the on-call SMS go out.
start_hook
wait_for "SELECT count(*) FROM alerts WHERE status = 'notified';" 5
wait_for "SELECT count(*) FROM outbox WHERE channel = 'oncall' AND status = 'sent';" 5
sleep 0.5
hooks() { grep "^/hook$(printf '\t')" "$HOOK_OUT" | cut -f2; }
[ "$(hooks | wc -l)" = 5 ] ||
    sk_fail "the receiver got $(hooks | wc -l) notifications, want 5"
for id in 1 2 3 4 5; do
    n=$(hooks | jq -c "select(.alert_id == $id)" | wc -l)
    [ "$n" = 1 ] || sk_fail "alert $id notified $n times"
done
first=$(hooks | jq -c 'select(.alert_id == 1)')
[ "$(jq -r '.contact' <<<"$first")" = "${K1:0:8}" ] ||
    sk_fail "the notification's contact: $first"
[ "$(jq -r '[.category, .language, .channel] | join(" ")' <<<"$first")" = "self_harm eng demo" ] ||
    sk_fail "the notification: $first"
jq -e '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")' <<<"$first" \
    >/dev/null || sk_fail "the notification's time: $first"
[ "$(cut -f1 "$HOOK_OUT" | sort -u | tr '\n' ' ')" = "/hook /send " ] ||
    sk_fail "notifications went to: $(cut -f1 "$HOOK_OUT" | sort -u)"
# the on-call SMS: to the staff number, naming the alert, no child's text
sms=$(grep "^/send$(printf '\t')" "$HOOK_OUT" | cut -f2)
[ "$(wc -l <<<"$sms")" = 5 ] || sk_fail "on-call SMS: $sms"
sk_contains "$(jq -r '.to' <<<"$sms" | sort -u)" 254711000999 "the SMS's number"
sk_contains "$sms" "Safeguarding alert 1: self_harm, language eng" "an SMS"
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE contact_key IN (SELECT contact_key FROM alerts);")" = 0 ] ||
    sk_fail "an on-call SMS is queued under a child's key"
no_secrets_in_log "$HOOK_OUT" 254700000 "hits me" "frappe" "يضربني" "nje" \
    "$K1"
grep -vF "$STAFF" "$HOOK_OUT" | grep -q 254711 &&
    sk_fail "the staff number in a webhook body"

# A new alert goes out at once.
P7=+254700000107
say "$P7" r1 "they took my passport" >/dev/null
wait_for "SELECT count(*) FROM alerts WHERE status = 'notified';" 6
wait_for "SELECT count(*) FROM outbox WHERE channel = 'oncall' AND status = 'sent';" 6

# A pending alert survives a crash: with the receiver down, an alert
# waits; the gateway is killed; after the restart it reaches the receiver.
stop_hook
P8=+254700000108
say "$P8" c1 "he burned me with a cigarette" >/dev/null
sleep 0.5
[ "$(sk_sql "SELECT status FROM alerts WHERE id = 7;")" != notified ] ||
    sk_fail "alert 7 was notified with the receiver down"
sk_crash
start_hook
sk_start
wait_for "SELECT status FROM alerts WHERE id = 7;" notified
[ "$(hooks | jq -c 'select(.alert_id == 7)' | wc -l)" = 1 ] ||
    sk_fail "alert 7 after the restart: $(hooks | jq -c 'select(.alert_id == 7)')"

# `sikiliza alerts`, beside the running gateway.
out=$(sk_bin alerts -c "$SK_CONF") || sk_fail "alerts failed"
[ "$(wc -l <<<"$out")" = 7 ] || sk_fail "alerts printed: $out"
line1=$(head -n 1 <<<"$out")
[ "$(cut -f1,3,4,5,6 <<<"$line1")" = "$(printf '1\t%s\teng\tself_harm\tnotified' "${K1:0:8}")" ] ||
    sk_fail "alerts' first line: $line1"
cut -f2 <<<"$line1" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' ||
    sk_fail "alerts' time: $line1"

# `sikiliza reveal`: refused without a reason, audited with one.
rc=0
sk_bin reveal -c "$SK_CONF" --alert 1 --reason "  " >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "reveal with an empty reason: exit $rc, want 2"
rc=0
sk_bin reveal -c "$SK_CONF" --alert 1 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "reveal without a reason: exit $rc, want 2"
[ "$(sk_sql "SELECT count(*) FROM audit WHERE action = 'reveal';")" = 0 ] || sk_fail "a refused reveal wrote an audit row"
rc=0
sk_bin reveal -c "$SK_CONF" --alert 99 --reason "check" >/dev/null 2>&1 ||
    rc=$?
[ "$rc" = 1 ] || sk_fail "reveal of an unknown alert: exit $rc, want 1"
out=$(sk_bin reveal -c "$SK_CONF" --alert 1 --reason "follow-up by the safeguarding lead") ||
    sk_fail "reveal failed"
[ "$out" = "tel:$P1" ] || sk_fail "reveal printed: $out"
audit=$(sk_sql "SELECT actor || '|' || action || '|' || subject || '|' || reason FROM audit WHERE action = 'reveal';")
[ "$audit" = "cli:$(id -un)|reveal|alert 1|follow-up by the safeguarding lead" ] ||
    sk_fail "the audit row: $audit"
sk_contains "$(sk_bin audit -c "$SK_CONF")" "alert 1" "audit lists the reveal"
# an address gone from the vault: expired, exit 1
sk_sql "DELETE FROM vault WHERE contact_key = '$(key_of f1)';" >/dev/null
rc=0
err=$(sk_bin reveal -c "$SK_CONF" --alert 2 --reason "check" 2>&1) || rc=$?
[ "$rc" = 1 ] || sk_fail "reveal of an expired address: exit $rc, want 1"
sk_contains "$err" "expired" "reveal of an expired address"

# DELETE still erases a child who disclosed.
out=$(say "$P5" h2 "DELETE")
[ "$(sk_sql "SELECT count(*) FROM contacts WHERE key = '$K5';")" = 0 ] ||
    sk_fail "DELETE after a disclosure kept the contact"
# the alert stays (when, what kind), unlinked from the child
[ "$(sk_sql "SELECT count(*) FROM alerts WHERE contact_key = '$K5';")" = 0 ] ||
    sk_fail "DELETE kept the contact key in an alert"
[ "$(sk_sql "SELECT count(*) FROM alerts WHERE id = 5 AND contact_key = '';")" = 1 ] ||
    sk_fail "DELETE: alert 5 is $(sk_sql "SELECT * FROM alerts WHERE id = 5;")"
# its on-call SMS no longer name the child's short reference
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE instr(text, 'contact ${K5:0:8}') > 0;")" = 0 ] ||
    sk_fail "DELETE kept the short reference in an on-call SMS"
[ "$(sk_sql "SELECT count(*) FROM outbox WHERE channel = 'oncall' AND text LIKE 'Safeguarding alert 5:%contact erased.%';")" = 1 ] ||
    sk_fail "DELETE: the on-call SMS of alert 5: $(sk_sql "SELECT text FROM outbox WHERE channel = 'oncall';")"
sk_alive
sk_stop
no_secrets_in_log "$SK_LOG" 254700000 "hits me" "want to die" "frappe" \
    "يضربني" "Nililala" "hitting" "passport" "tel:" 254711000999 "711 000"

# --- no [safeguarding] section at all: the defaults ------------------------
GW2=$SK_TMP/gw2
sk_conf "$GW2" "$SECRET"
sk_start
grep -q 'has no notify_url' "$SK_LOG" ||
    sk_fail "no warning that nobody is notified without notify_url"
out=$(say +254700000201 d1 "I was raped")
sk_contains "$out" "Thank you for telling us" "the built-in referral"
sk_contains "$out" "116 111" "the built-in referral's helpline"
sk_contains "$out" "will follow up" "the built-in referral"
[ "$(sk_sql "SELECT count(*) || ' ' || category FROM alerts;")" = "1 sexual_abuse" ] ||
    sk_fail "the default alert: $(sk_sql "SELECT * FROM alerts;")"
out=$(say +254700000202 d2 "Ils m’ont vendue")
sk_contains "$out" "Ce n'est pas ta faute" "the built-in referral in French"
sk_contains "$(sk_bin alerts -c "$SK_CONF")" "trafficking" "alerts lists it"
# after the built-in message, in English, a first message and mid-survey:
# the kind reply, not the survey; the message is still checked
out=$(say +254700000201 d3 "ok thanks")
sk_contains "$out" "Thank you for your message." "after the built-in referral"
case $out in *"Reply 1 English"*)
    sk_fail "the language menu after a first-message disclosure: $out" ;;
esac
P9=+254700000203
say "$P9" d4 "hi" >/dev/null
sk_contains "$(say "$P9" d5 "1")" "How safe do you feel" "the survey"
sk_contains "$(say "$P9" d6 "my uncle hits me")" "Thank you for telling us" \
    "a disclosure mid-survey (built-in)"
sk_contains "$(sk_sql "SELECT session FROM contacts WHERE key = '$(key_of d6)';")" \
    '"interrupted"' "the survey run after the built-in referral"
out=$(say "$P9" d7 "ok")
sk_contains "$out" "Thank you for your message." "after an interrupted survey"
case $out in *"Reply 1 English"* | *"How safe"* | *"sleep last night"*)
    sk_fail "the survey again after a disclosure: $out" ;;
esac
out=$(say "$P9" d8 "he hits me again")
sk_contains "$out" "Thank you for telling us" "a second disclosure"
[ "$(sk_sql "SELECT count(*) FROM alerts WHERE contact_key = '$(key_of d8)';")" = 2 ] ||
    sk_fail "a second disclosure after the afterword made no alert"
# a keyword still starts the survey
sk_contains "$(say "$P9" d9 "hi")" "Reply 1 English" "a keyword after a disclosure"
sk_stop
no_secrets_in_log "$SK_LOG" 254700000 "raped" "vendue" "hits me"

# --- the day's cap never drops a safeguarding reply --------------------------
GW5=$SK_TMP/gw5
sk_conf "$GW5" "$SECRET" "
[safeguarding]
flow = Referral

[limits]
max_replies_per_contact_day = 1"
sk_start
P10=+254700000401
sk_contains "$(say "$P10" l1 "hi")" "Reply 1 English" "the first reply"
[ -z "$(say "$P10" l2 "1")" ] || sk_fail "the day's cap did not hold"
out=$(say "$P10" l3 "my uncle hits me and I want to die")
[ "$(wc -l <<<"$out")" = 2 ] || sk_fail "the referral over the cap: $out"
sk_contains "$out" "Thank you for telling us" "the referral over the cap"
sk_contains "$out" "Only say yes if this phone is safe" "the referral over the cap"
sk_contains "$(say "$P10" l4 "1")" "A trained person will contact you" \
    "the referral's answer over the cap"
# the kind reply names the helpline: kept, over the cap
sk_contains "$(say "$P10" l5 "ok thanks")" "116 111" "the helpline over the cap"
grep -q 'cap=contact_day' "$SK_LOG" || sk_fail "the cap dropped nothing"
sk_stop

# --- configs that stop the start or warn -----------------------------------
GW3=$SK_TMP/gw3
sk_conf "$GW3" "$SECRET" "
[safeguarding]
notify_url = http://127.0.0.1:$HOOK_PORT/hook"
rc=0
timeout -k 5 30 "$SK_BIN" serve -c "$SK_CONF" >"$GW3/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || sk_fail "a plain http notify_url: exit $rc, want 1"
sk_contains "$(cat "$GW3/out")" "notify_allow_http" "the plain http refusal"
sk_conf "$GW3" "$SECRET" "
[safeguarding]
notify_channel = demo
notify_numbers = +254711000999"
rc=0
timeout -k 5 30 "$SK_BIN" serve -c "$SK_CONF" >"$GW3/out" 2>&1 || rc=$?
[ "$rc" = 1 ] || sk_fail "on-call SMS through a channel that cannot send: exit $rc"
sk_contains "$(cat "$GW3/out")" "not a channel that can send" \
    "on-call SMS through a channel that cannot send"
grep -q 254711 "$GW3/out" && sk_fail "the refusal quotes the staff number"

GW4=$SK_TMP/gw4
sk_conf "$GW4" "$SECRET" "
[safeguarding]
enabled = no"
sk_start
grep -q 'enabled = no' "$SK_LOG" || sk_fail "enabled = no is not warned about"
out=$(say +254700000301 e1 "my uncle hits me")
[ "$(sk_count alerts)" = 0 ] || sk_fail "enabled = no still raised an alert"
sk_stop

stop_hook
sk_log "ok"
