#!/usr/bin/env bash
# What happens to a call's recording after it is heard, through the real
# `sikiliza serve` with the example voice flow (Wellbeing Check Voice) and
# a local media host (sk-files) standing in for Twilio's:
#  - delete_recordings (yes by default): once the step that heard the
#    recording is committed, with its audio sealed in the recordings table
#    beside the result, the provider's copy is deleted: DELETE on the
#    recording's resource (RecordingUrl without the extension, .json) with
#    the account SID and auth token as basic auth; a delete that fails
#    (503) is tried again; delete_recordings = no sends none;
#  - Africa's Talking has no delete API: delete_recordings = yes set on
#    such a channel is warned about at start, the default is not;
#  - a second spoken try: a recording that is not understood gets "sorry"
#    and the question again with <Record> (and the keypad); a retried
#    callback gets the same answer; after a restart a second recording not
#    understood routes to Other;
#  - a spoken "stop" (espeak-ng, 8 kHz) in answer to a closed-set question
#    opts the child out as a typed STOP does, and the call ends;
#  - the log holds no number, no recording URL.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init voice_rec
sk_need_command serve keygen
command -v openssl >/dev/null 2>&1 || sk_skip "openssl is not installed"
command -v jq >/dev/null 2>&1 || sk_skip "jq is not installed"
command -v espeak-ng >/dev/null 2>&1 || sk_skip "espeak-ng is not installed"
command -v sox >/dev/null 2>&1 || sk_skip "sox is not installed"
[ -d /usr/share/pocketsphinx/model/en-us ] ||
    sk_skip "the PocketSphinx en-us model is not installed"
[ -n "${SK_FILES:-}" ] && [ -x "$SK_FILES" ] || sk_skip "SK_FILES is not set"

GW=$SK_TMP/gw
WORK=$SK_TMP/work
MEDIADIR=$WORK/media
mkdir -p "$GW" "$WORK" "$MEDIADIR"

TW_SID=AC0123456789abcdef0123456789abcdef
TW_TOKEN=tw-token-$RANDOM$RANDOM
PUBLIC=https://hotline.example.org
FILES_PORT=$(sk_free_port)
MEDIA=http://127.0.0.1:$FILES_PORT

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
dir = $SK_SOURCE_DIR/flows/examples
default = Wellbeing Check

[channel tw]
type = twilio
account_sid = $TW_SID
auth_token = $TW_TOKEN
number = +15005550006
media_hosts = 127.0.0.1

[channel keep]
type = twilio
account_sid = $TW_SID
auth_token = $TW_TOKEN
number = +15005550007
media_hosts = 127.0.0.1
delete_recordings = no

[channel at]
type = africastalking
secret = at-secret-$RANDOM$RANDOM

[channel at2]
type = africastalking
secret = at-secret-$RANDOM$RANDOM
delete_recordings = yes
EOF

# the answers, spoken in the telephone band
say() { # say NAME TEXT [VOICE]: MEDIADIR/NAME.wav, 8 kHz mono
    espeak-ng -v "${3:-en-us}" -s 140 -w "$WORK/raw.wav" "$2" 2>/dev/null ||
        sk_fail "espeak-ng failed"
    sox "$WORK/raw.wav" -r 8000 -c 1 "$MEDIADIR/$1.wav" || sk_fail "sox failed"
}
say no no
say yes yes
# (measured: this voice's "stop" is heard when the set has the word, and
# as "no" when it has not, so the test sees the STOP words added; most
# other espeak-ng voices' "stop" is not understood or heard as "no")
say stop stop en+klatt3
cp "$MEDIADIR/no.wav" "$MEDIADIR/flaky-no.wav"
cp "$MEDIADIR/yes.wav" "$MEDIADIR/keep-yes.wav"
sox -n -r 8000 -c 1 "$MEDIADIR/silence.wav" trim 0 1.0
sox -n -r 8000 -c 1 "$MEDIADIR/silence2.wav" trim 0 1.2

AUTH="Basic $(printf '%s:%s' "$TW_SID" "$TW_TOKEN" | base64 -w0)"
"$SK_FILES" -l "$FILES_PORT" -d "$MEDIADIR" -a "$AUTH" >"$WORK/files.log" 2>&1 &
FILES_PID=$!
trap 'rc=$?; kill "$FILES_PID" 2>/dev/null || true; (exit "$rc"); sk_cleanup' EXIT
for ((i = 0; i < 100; i++)); do
    curl -fsS --max-time 1 -o /dev/null "$MEDIA/ping" 2>/dev/null && break
    sleep 0.1
done
sk_start

# call SID PATH OUT [KEY=VALUE...]: a callback of call SID from $FROM on
# channel $CH (tw by default); fails unless it is answered 200. A held
# answer that says pause and poll is followed.
call() {
    local sid=$1 path=$2 out=$3 code i poll
    shift 3
    for ((i = 0; i < 10; i++)); do
        code=$(sk_tw_post "$out" "$path" CallSid="$sid" AccountSid="$TW_SID" \
            From="$FROM" To=+15005550006 CallStatus="${STATUS:-in-progress}" \
            Direction=inbound "$@")
        [ "$code" = 200 ] || sk_fail "POST $path: HTTP $code: $(cat "$out")"
        poll=$(sed -n 's|.*<Redirect method="POST">'"$PUBLIC"'\(/c/[a-z0-9]*/voice/poll?n=[0-9]*\)</Redirect>.*|\1|p' "$out")
        [ -n "$poll" ] || return 0
        path=$poll
        set --
    done
    sk_fail "$path: still polling after 10 polls"
}

has() { # has FILE TEXT: the answer holds TEXT
    grep -qF -- "$2" "$1" || sk_fail "answer lacks '$2': $(cat "$1")"
}

# to_school SID: a call on $CH from $FROM, keyed up to the school question
# (a yes/no closed set, spoken), whose recording goes to record?n=4
to_school() {
    local ch=${CH:-tw}
    STATUS=ringing call "$1" "/c/$ch/voice" "$WORK/q0"
    call "$1" "/c/$ch/voice/gather?n=1" "$WORK/q1" Digits=1 # English
    call "$1" "/c/$ch/voice/gather?n=2" "$WORK/q2" Digits=1
    call "$1" "/c/$ch/voice/gather?n=3" "$WORK/q3" Digits=3
    has "$WORK/q3" "<Record maxLength="
    has "$WORK/q3" "action=\"$PUBLIC/c/$ch/voice/record?n=4\""
}

# seen_within SECONDS PATTERN: the media host's log shows PATTERN by then
seen_within() {
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        grep -qE -- "$2" "$WORK/files.log" && return 0
        sleep 0.1
    done
    return 1
}

school() { # school CATEGORY: how many School results have it
    sk_sql "SELECT count(*) FROM results WHERE name = 'School' AND category = '$1'"
}

# --- start-up warnings --------------------------------------------------------

grep -q "channel 'at2': delete_recordings has no effect: africastalking" \
    "$SK_LOG" || sk_fail "delete_recordings = yes on Africa's Talking was not warned about"
grep -q "channel 'at': delete_recordings" "$SK_LOG" &&
    sk_fail "the default delete_recordings was warned about on Africa's Talking"
grep -q "delete_recordings belongs to a part not built yet" "$SK_LOG" &&
    sk_fail "delete_recordings is still called not built"

# --- heard, stored, then deleted at the provider -------------------------------

FROM=+254700000201
to_school CA00000000000000000000000000000201
call CA00000000000000000000000000000201 "/c/tw/voice/record?n=4" "$WORK/d4" \
    RecordingUrl="$MEDIA/no.wav" RecordingDuration=2
grep -q Sorry "$WORK/d4" && sk_fail "spoken no was not understood: $(cat "$WORK/d4")"
has "$WORK/d4" "gather?n=5"
[ "$(school No)" = 1 ] || sk_fail "spoken no: no School = No result"
[ "$(sk_sql "SELECT count(*) FROM recordings WHERE result_name = 'School'")" = 1 ] ||
    sk_fail "the heard recording was not stored beside its result"
sk_sql "SELECT hex(substr(blob, 1, 4)) FROM recordings" | grep -q '^52494646$' &&
    sk_fail "the stored recording is a WAV in clear"
seen_within 5 '^DELETE no\.json 204$' ||
    sk_fail "the recording was not deleted at the provider: $(cat "$WORK/files.log")"
grep -q '^GET no.wav 200$' "$WORK/files.log" || sk_fail "no.wav was not fetched"
grep -q 'DELETE no.json 401' "$WORK/files.log" &&
    sk_fail "a delete went without the account's credentials"

# a delete that fails once is tried again
FROM=+254700000202
to_school CA00000000000000000000000000000202
call CA00000000000000000000000000000202 "/c/tw/voice/record?n=4" "$WORK/f4" \
    RecordingUrl="$MEDIA/flaky-no.wav" RecordingDuration=2
has "$WORK/f4" "gather?n=5"
seen_within 5 '^DELETE flaky-no\.json 503$' || sk_fail "no first delete of flaky-no"
seen_within 8 '^DELETE flaky-no\.json 204$' ||
    sk_fail "a failed delete was not tried again: $(cat "$WORK/files.log")"
grep -qF 'voice: channel=tw deleting a recording at the provider failed (status, HTTP 503): trying again' \
    "$SK_LOG" || sk_fail "the failed delete was not logged"

# delete_recordings = no: stored, left at the provider
FROM=+254700000203
CH=keep to_school CA00000000000000000000000000000203
CH=keep call CA00000000000000000000000000000203 "/c/keep/voice/record?n=4" \
    "$WORK/k4" RecordingUrl="$MEDIA/keep-yes.wav" RecordingDuration=2
has "$WORK/k4" "gather?n=5"
[ "$(school Yes)" = 1 ] || sk_fail "spoken yes: no School = Yes result"
[ "$(sk_sql "SELECT count(*) FROM recordings")" = 3 ] ||
    sk_fail "recordings stored: $(sk_sql "SELECT count(*) FROM recordings"), want 3"
grep -q '^GET keep-yes.wav 200$' "$WORK/files.log" || sk_fail "keep-yes.wav was not fetched"
sleep 2
grep -q 'DELETE keep-yes' "$WORK/files.log" &&
    sk_fail "delete_recordings = no sent a DELETE"

# --- a second spoken try, kept across a restart --------------------------------

FROM=+254700000204
SID=CA00000000000000000000000000000204
to_school $SID
other_before=$(school Other)
call $SID "/c/tw/voice/record?n=4" "$WORK/s4" RecordingUrl="$MEDIA/silence.wav" \
    RecordingDuration=1
has "$WORK/s4" "Sorry, I did not hear that."
has "$WORK/s4" "<Record maxLength="
has "$WORK/s4" "action=\"$PUBLIC/c/tw/voice/record?n=5\""
[ "$(grep -o 'Sorry' "$WORK/s4" | wc -l)" = 1 ] || sk_fail "sorry twice: $(cat "$WORK/s4")"
# the provider retries the callback: the same answer
call $SID "/c/tw/voice/record?n=4" "$WORK/s4b" RecordingUrl="$MEDIA/silence.wav" \
    RecordingDuration=1
cmp -s "$WORK/s4" "$WORK/s4b" || sk_fail "a retried re-ask got another answer: $(cat "$WORK/s4b")"
grep -q 'voice: channel=tw contact=.* step=4 status=reasked' "$SK_LOG" ||
    sk_fail "the re-ask was not logged"
sk_stop
sk_start
# not understood a second time: Other, where the flow goes on (it asks
# its own second school question)
call $SID "/c/tw/voice/record?n=5" "$WORK/s5" RecordingUrl="$MEDIA/silence2.wav" \
    RecordingDuration=1
grep -q Sorry "$WORK/s5" && sk_fail "asked a third time: $(cat "$WORK/s5")"
has "$WORK/s5" "Take your time."
has "$WORK/s5" "record?n=6"
[ "$(school Other)" = $((other_before + 1)) ] ||
    sk_fail "two answers not understood did not route to Other"
# a key during the re-asked recording is the answer, as always
FROM=+254700000205
SID=CA00000000000000000000000000000205
to_school $SID
call $SID "/c/tw/voice/record?n=4" "$WORK/p4" RecordingUrl="$MEDIA/silence.wav" \
    RecordingDuration=1
has "$WORK/p4" "record?n=5"
call $SID "/c/tw/voice/record?n=5" "$WORK/p5" Digits=1 \
    RecordingUrl="$MEDIA/silence.wav"
has "$WORK/p5" "gather?n=6"
[ "$(school Yes)" = 2 ] || sk_fail "a key during the re-ask was not the answer"

# --- a spoken STOP ---------------------------------------------------------------

FROM=+254700000206
SID=CA00000000000000000000000000000206
to_school $SID
opted=$(sk_sql "SELECT count(*) FROM contacts WHERE opted_out = 1")
call $SID "/c/tw/voice/record?n=4" "$WORK/x4" RecordingUrl="$MEDIA/stop.wav" \
    RecordingDuration=1
has "$WORK/x4" "<Hangup/>"
grep -q '<Record\|<Gather' "$WORK/x4" && sk_fail "the call went on after a spoken stop: $(cat "$WORK/x4")"
[ "$(sk_sql "SELECT count(*) FROM contacts WHERE opted_out = 1")" = $((opted + 1)) ] ||
    sk_fail "a spoken stop did not opt the child out"
grep -q 'voice: channel=tw contact=.* step=4 status=opted_out' "$SK_LOG" ||
    sk_fail "the spoken stop was not handled as STOP"
seen_within 5 '^DELETE stop\.json 204$' ||
    sk_fail "the recording of a STOP was left at the provider"

# --- an open answer in French: kept for listening, not transcribed ---------------

FROM=+254700000207
SID=CA00000000000000000000000000000207
espeak-ng -v fr -s 140 -w "$WORK/raw.wav" "Un endroit calme pour dormir" 2>/dev/null ||
    sk_fail "espeak-ng failed"
sox "$WORK/raw.wav" -r 8000 -c 1 "$MEDIADIR/fr-open.wav" || sk_fail "sox failed"
kept_before=$(sk_sql "SELECT count(*) FROM recordings WHERE needs_listening = 1")
STATUS=ringing call $SID "/c/tw/voice" "$WORK/f0"
call $SID "/c/tw/voice/gather?n=1" "$WORK/f1" Digits=2 # French
call $SID "/c/tw/voice/gather?n=2" "$WORK/f2" Digits=1
call $SID "/c/tw/voice/gather?n=3" "$WORK/f3" Digits=3
has "$WORK/f3" 'language="fr-FR"'
call $SID "/c/tw/voice/record?n=4" "$WORK/f4" Digits=1 # school, on the keypad
call $SID "/c/tw/voice/gather?n=5" "$WORK/f5" Digits=2 # no debt
has "$WORK/f5" "record?n=6"
call $SID "/c/tw/voice/record?n=6" "$WORK/f6" RecordingUrl="$MEDIA/fr-open.wav" \
    RecordingDuration=3
grep -q 'Sorry\|Désolé' "$WORK/f6" && sk_fail "an open French answer got sorry: $(cat "$WORK/f6")"
grep -q '^GET fr-open.wav 200$' "$WORK/files.log" ||
    sk_fail "the open French answer was not fetched"
[ "$(sk_sql "SELECT count(*) FROM recordings WHERE needs_listening = 1")" = \
    $((kept_before + 1)) ] || sk_fail "the open French answer was not kept for listening"
[ "$(sk_sql "SELECT count(*) FROM results WHERE name = 'Help Most' AND
      value = '[needs listening]'")" -ge 1 ] ||
    sk_fail "the open French answer is not marked needs listening: $(sk_sql \
        "SELECT value FROM results WHERE name = 'Help Most'")"
sk_sql "SELECT hex(blob) FROM recordings WHERE needs_listening = 1" |
    grep -q "^52494646" && sk_fail "the kept recording is a plain WAV at rest"
grep -q 'voice: channel=tw contact=.* step=6 .*needs listening' "$SK_LOG" ||
    sk_fail "keeping it for listening was not logged"
seen_within 5 '^DELETE fr-open\.json 204$' ||
    sk_fail "the kept recording was left at the provider"

# --- privacy -----------------------------------------------------------------------

sk_alive
sk_stop
kill "$FILES_PID" 2>/dev/null || true
for leak in 254700000201 254700000204 254700000206 254700000207 \
    "$FILES_PORT/" no.json \
    "$TW_SID" "$TW_TOKEN"; do
    if grep -qF -- "$leak" "$SK_LOG"; then
        sk_fail "the log holds '$leak'"
    fi
done
sk_log "recordings: stored, deleted at the provider (and retried), kept when told; a second spoken try; spoken STOP; an open French answer kept for listening"
