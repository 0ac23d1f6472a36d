#!/usr/bin/env bash
# Vonage voice calls through the real `sikiliza serve`, with the example
# voice flow (Wellbeing Check Voice):
#  - the answer webhook (GET with a query, as Vonage sends it by default)
#    and every input event (POST, JSON) signed as Vonage signs webhooks:
#    a JWT (HS256 under the signature secret) in Authorization: Bearer
#    whose payload_hash is the SHA-256 of the body; unsigned, wrongly
#    signed or changed requests get 403;
#  - each answer an NCCO (checked with jq): talk with the flow's language,
#    an input (dtmf) whose eventUrl is the next step, speech with saveAudio
#    for a spoken answer, no input at the end (Vonage hangs up);
#  - a retried event gets the same answer and is stored once; an input
#    that timed out with nothing takes the wait's timeout route;
#  - a spoken "no" (espeak-ng, 8 kHz) saved by the speech input and served
#    by a local media host (sk-files, in media_hosts) is fetched, heard and
#    routed, polling while it is heard; a key during a spoken answer is
#    the answer;
#  - the event webhook: "answered" changes nothing, "completed" ends the
#    run; answers are stored; the log holds no number and no prompt.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init voice_vonage
sk_need_command serve keygen
command -v openssl >/dev/null 2>&1 || sk_skip "openssl is not installed"
command -v jq >/dev/null 2>&1 || sk_skip "jq is not installed"

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"

VG_SECRET=vg-signature-$RANDOM$RANDOM
PUBLIC=https://hotline.example.org
CALLER=447700900123 # as Vonage gives it: no +
CALLER2=447700900456
FILES_PORT=$(sk_free_port)
MEDIA=http://127.0.0.1:$FILES_PORT

sk_keygen "$GW/secret.key"
# the Vonage application's key pair: recordings are fetched with its JWT
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$GW/vonage-app.key" 2>/dev/null || sk_fail "openssl genpkey failed"
openssl pkey -in "$GW/vonage-app.key" -pubout -out "$GW/vonage-app.pub" ||
    sk_fail "openssl pkey failed"
APP_ID=aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab
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

[channel vg]
type = vonage
api_key = a1b2c3d4
api_secret = not-used-here
signature_secret = $VG_SECRET
number = 447700900001
media_hosts = 127.0.0.1
application_id = $APP_ID
private_key_file = $GW/vonage-app.key
EOF
sk_start

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# jwt BODY: the Authorization value Vonage sends with BODY; VG_SIGN=bad
# signs with another secret.
jwt() {
    local secret=$VG_SECRET h p s
    [ "${VG_SIGN:-good}" != bad ] || secret=not-the-secret
    h=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)
    p=$(jq -cn --arg hash "$(printf '%s' "$1" | openssl dgst -sha256 -r |
        cut -d' ' -f1)" --arg jti "$RANDOM$RANDOM" \
        '{iat: now | floor, jti: $jti, iss: "Vonage", payload_hash: $hash,
          api_key: "a1b2c3d4"}' | b64url)
    s=$(printf '%s.%s' "$h" "$p" | openssl dgst -sha256 -hmac "$secret" \
        -binary | b64url)
    printf 'Bearer %s.%s.%s' "$h" "$p" "$s"
}

# vg_get OUT PATH: a signed GET; prints the status.
vg_get() {
    sk_http "$1" -H "Authorization: $(jwt '')" "$SK_URL$2"
}

# vg_post OUT URL BODY: a signed POST of JSON to URL (absolute, as the
# NCCO gave it, or a path); prints the status. VG_SIGN=none: unsigned.
vg_post() {
    local path=${2#"$PUBLIC"}
    if [ "${VG_SIGN:-good}" = none ]; then
        sk_http "$1" -H 'Content-Type: application/json' --data "$3" \
            "$SK_URL$path"
    else
        sk_http "$1" -H 'Content-Type: application/json' \
            -H "Authorization: $(jwt "$3")" --data "$3" "$SK_URL$path"
    fi
}

# event UUID FROM [DIGITS [RECORDING]]: an input event's body; no digits
# and no recording: timed out with nothing.
event() {
    jq -cn --arg uuid "$1" --arg from "$2" --arg d "${3:-}" \
        --arg rec "${4:-}" \
        '{from: $from, to: "447700900001", uuid: $uuid,
          conversation_uuid: ("CON-" + $uuid),
          timestamp: "2026-01-01T12:00:00.000Z",
          dtmf: {digits: $d, timed_out: ($d == "" and $rec == "")}}
         + (if $rec == "" then {} else
            {speech: {recording_url: $rec, results: []}} end)'
}

# step OUT URL BODY: posts an event that must be answered 200 with an NCCO.
step() {
    local code
    code=$(vg_post "$1" "$2" "$3")
    [ "$code" = 200 ] || sk_fail "POST $2: HTTP $code: $(cat "$1")"
    jq -e 'type == "array"' "$1" >/dev/null || sk_fail "$2: not an NCCO: $(cat "$1")"
}

# next FILE: the eventUrl of the NCCO's input, or "" at the end.
next() { jq -r '[.[] | select(.action == "input")][0].eventUrl[0] // ""' "$1"; }

has() { # has FILE JQ: the NCCO passes the jq test
    jq -e "$2" "$1" >/dev/null || sk_fail "NCCO fails '$2': $(cat "$1")"
}

# --- signatures --------------------------------------------------------------

UUID=aaaaaaaa-0000-4000-8000-000000000001
Q="from=$CALLER&to=447700900001&uuid=$UUID&conversation_uuid=CON-$UUID"
code=$(sk_http "$WORK/u" "$SK_URL/c/vg/voice?$Q")
[ "$code" = 403 ] || sk_fail "unsigned answer webhook: HTTP $code, want 403"
code=$(VG_SIGN=bad vg_get "$WORK/u" "/c/vg/voice?$Q")
[ "$code" = 403 ] || sk_fail "badly signed answer webhook: HTTP $code, want 403"
body=$(event "$UUID" "$CALLER" 1)
code=$(sk_http "$WORK/u" -H 'Content-Type: application/json' \
    -H "Authorization: $(jwt "$body")" --data "${body/\"1\"/\"2\"}" \
    "$SK_URL/c/vg/voice/gather?n=1&ni=t")
[ "$code" = 403 ] || sk_fail "a body changed after signing: HTTP $code, want 403"

# --- a call answered on the keypad ----------------------------------------

code=$(vg_get "$WORK/s0" "/c/vg/voice?$Q")
[ "$code" = 200 ] || sk_fail "answer webhook: HTTP $code: $(cat "$WORK/s0")"
has "$WORK/s0" '.[0].action == "talk" and .[0].language == "en-US"'
has "$WORK/s0" '.[0].text | startswith("Welcome to Sikiliza.")'
has "$WORK/s0" '.[-1].action == "input" and .[-1].type == ["dtmf"]'
has "$WORK/s0" '.[-1].dtmf.maxDigits == 1 and .[-2].bargeIn == true'
[ "$(next "$WORK/s0")" = "$PUBLIC/c/vg/voice/gather?n=1&ni=t" ] ||
    sk_fail "answer webhook: eventUrl $(next "$WORK/s0")"

step "$WORK/s1" "$(next "$WORK/s0")" "$(event "$UUID" "$CALLER" 1)" # English
has "$WORK/s1" 'map(.text // "") | join(" ") | contains("How safe do you feel")'
# Vonage retries: the same answer, nothing done twice
step "$WORK/s1b" "$(next "$WORK/s0")" "$(event "$UUID" "$CALLER" 1)"
cmp -s "$WORK/s1" "$WORK/s1b" || sk_fail "a retried input got another answer"
# nothing pressed: the wait's timeout
step "$WORK/s2" "$(next "$WORK/s1")" "$(event "$UUID" "$CALLER")"
has "$WORK/s2" '.[0].text | startswith("Take your time.")'
step "$WORK/s3" "$(next "$WORK/s2")" "$(event "$UUID" "$CALLER" 1)"
has "$WORK/s3" 'map(.text // "") | join(" ") | contains("Where did you sleep")'
step "$WORK/s4" "$(next "$WORK/s3")" "$(event "$UUID" "$CALLER" 1)"
# school: spoken or keyed
has "$WORK/s4" '.[-1].type == ["dtmf", "speech"] and .[-1].speech.saveAudio'
has "$WORK/s4" '.[-1].speech.language == "en-US" and .[-1].dtmf.maxDigits == 1'
case $(next "$WORK/s4") in
"$PUBLIC/c/vg/voice/record?n=5&ni="*) ;;
*) sk_fail "school: eventUrl $(next "$WORK/s4")" ;;
esac
# a key during the spoken answer is the answer
step "$WORK/s5" "$(next "$WORK/s4")" "$(event "$UUID" "$CALLER" 1)"
url=$(next "$WORK/s5")
i=5
while [ -n "$url" ] && [ "$i" -lt 12 ]; do
    i=$((i + 1))
    step "$WORK/s$i" "$url" "$(event "$UUID" "$CALLER" 2)"
    url=$(next "$WORK/s$i")
done
[ -z "$url" ] || sk_fail "the call did not come to an end"
has "$WORK/s$i" 'length > 0 and all(.action == "talk" or .action == "stream")'
code=$(vg_post "$WORK/e0" /c/vg/voice/status \
    "{\"from\":\"$CALLER\",\"uuid\":\"$UUID\",\"status\":\"completed\"}")
[ "$code" = 200 ] || sk_fail "event webhook (completed): HTTP $code"

results=$(sk_sql "SELECT name || '=' || category FROM results ORDER BY id")
for want in "Language=English" "Feel Safe=Very Safe" "School=Yes"; do
    grep -qF "$want" <<<"$results" || sk_fail "no result $want: $results"
done
[ "$(sk_sql "SELECT count(*) FROM results WHERE name = 'Language'")" = 1 ] ||
    sk_fail "the retried input was stored twice"

# --- a call that hangs up mid-survey ---------------------------------------

UUID2=aaaaaaaa-0000-4000-8000-000000000002
code=$(vg_post "$WORK/t0" /c/vg/voice \
    "{\"from\":\"$CALLER2\",\"to\":\"447700900001\",\"uuid\":\"$UUID2\"}")
[ "$code" = 200 ] || sk_fail "answer webhook (POST): HTTP $code: $(cat "$WORK/t0")"
step "$WORK/t1" "$(next "$WORK/t0")" "$(event "$UUID2" "$CALLER2" 1)"
# the event webhook while the call goes on changes nothing
code=$(vg_post "$WORK/t1s" /c/vg/voice/status \
    "{\"from\":\"$CALLER2\",\"uuid\":\"$UUID2\",\"status\":\"answered\"}")
[ "$code" = 200 ] || sk_fail "event webhook (answered): HTTP $code"
step "$WORK/t2" "$(next "$WORK/t1")" "$(event "$UUID2" "$CALLER2" 1)"
code=$(vg_post "$WORK/t2s" /c/vg/voice/status \
    "{\"from\":\"$CALLER2\",\"uuid\":\"$UUID2\",\"status\":\"cancelled\"}")
[ "$code" = 200 ] || sk_fail "event webhook (cancelled): HTTP $code"
# the run has ended: a late input of that call just ends it
step "$WORK/t3" "$(next "$WORK/t2")" "$(event "$UUID2" "$CALLER2" 1)"
[ -z "$(next "$WORK/t3")" ] || sk_fail "a call that ended was asked again"
code=$(VG_SIGN=none vg_post "$WORK/t4" /c/vg/voice/status \
    "{\"from\":\"$CALLER2\",\"uuid\":\"$UUID2\",\"status\":\"completed\"}")
[ "$code" = 403 ] || sk_fail "unsigned event webhook: HTTP $code, want 403"

# --- a spoken answer: saved by Vonage, fetched, heard ----------------------

if [ -n "${SK_FILES:-}" ] && [ -x "$SK_FILES" ] &&
    command -v espeak-ng >/dev/null 2>&1 && command -v sox >/dev/null 2>&1 &&
    [ -d /usr/share/pocketsphinx/model/en-us ]; then
    MEDIADIR=$WORK/media
    mkdir -p "$MEDIADIR"
    espeak-ng -v en-us -s 140 -w "$WORK/raw.wav" no 2>/dev/null ||
        sk_fail "espeak-ng failed"
    sox "$WORK/raw.wav" -r 8000 -c 1 "$MEDIADIR/no.wav" || sk_fail "sox failed"
    "$SK_FILES" -l "$FILES_PORT" -d "$MEDIADIR" >"$WORK/files.log" 2>&1 &
    FILES_PID=$!
    trap 'rc=$?; kill "$FILES_PID" 2>/dev/null || true; (exit "$rc"); sk_cleanup' EXIT
    for ((i = 0; i < 100; i++)); do
        curl -fsS --max-time 1 -o /dev/null "$MEDIA/ping" 2>/dev/null && break
        sleep 0.1
    done
    UUID3=aaaaaaaa-0000-4000-8000-000000000003
    Q3="from=$CALLER&to=447700900001&uuid=$UUID3"
    code=$(vg_get "$WORK/r0" "/c/vg/voice?$Q3")
    [ "$code" = 200 ] || sk_fail "answer webhook: HTTP $code"
    step "$WORK/r1" "$(next "$WORK/r0")" "$(event "$UUID3" "$CALLER" 1)"
    step "$WORK/r2" "$(next "$WORK/r1")" "$(event "$UUID3" "$CALLER" 1)"
    step "$WORK/r3" "$(next "$WORK/r2")" "$(event "$UUID3" "$CALLER" 3)"
    has "$WORK/r3" '.[-1].type == ["dtmf", "speech"]'
    step "$WORK/r4" "$(next "$WORK/r3")" \
        "$(event "$UUID3" "$CALLER" "" "$MEDIA/no.wav")"
    polled=0
    for ((i = 0; i < 10; i++)); do
        case $(next "$WORK/r4") in
        */c/vg/voice/poll\?n=*) ;;
        *) break ;;
        esac
        polled=$((polled + 1))
        step "$WORK/r4" "$(next "$WORK/r4")" "$(event "$UUID3" "$CALLER")"
    done
    jq -e 'map(.text // "") | join(" ") | contains("Sorry")' "$WORK/r4" \
        >/dev/null && sk_fail "spoken no was not understood: $(cat "$WORK/r4")"
    has "$WORK/r4" 'map(.text // "") | join(" ") | contains("work to pay a debt")'
    grep -q 'GET no.wav 200' "$WORK/files.log" || sk_fail "no.wav was not fetched"
    # fetched with the application's JWT (RS256), checked with openssl
    tok=$(sed -n 's/^GET no\.wav 200 bearer=//p' "$WORK/files.log" | head -n 1)
    [ -n "$tok" ] || sk_fail "no.wav was fetched without the application's JWT"
    unb64() { # base64url on stdin, decoded
        local s
        s=$(tr '_-' '/+')
        while [ $((${#s} % 4)) -ne 0 ]; do s+='='; done
        printf '%s' "$s" | openssl base64 -d -A
    }
    printf '%s' "${tok%%.*}" | unb64 | jq -e '.alg == "RS256"' >/dev/null ||
        sk_fail "the media JWT is not RS256"
    rest=${tok#*.}
    printf '%s' "${rest%%.*}" | unb64 |
        jq -e --arg app "$APP_ID" '.application_id == $app and
            .exp > .iat and (.jti | length) > 0' >/dev/null ||
        sk_fail "the media JWT's claims are wrong"
    printf '%s' "${tok##*.}" | unb64 >"$WORK/jwt.sig"
    printf '%s' "${tok%.*}" | openssl dgst -sha256 -verify "$GW/vonage-app.pub" \
        -signature "$WORK/jwt.sig" >/dev/null ||
        sk_fail "the media JWT does not verify under the application's key"
    [ "$(sk_sql "SELECT count(*) FROM results WHERE name = 'School' AND category = 'No'")" = 1 ] ||
        sk_fail "spoken no: no School = No result"
    kill "$FILES_PID" 2>/dev/null || true
    sk_log "a spoken no heard (after $polled polls)"
else
    sk_log "sk-files, espeak-ng, sox or the PocketSphinx model missing: spoken answers skipped"
fi

# --- privacy ----------------------------------------------------------------

sk_alive
sk_stop
for leak in "$CALLER" "$CALLER2" "Welcome to Sikiliza" "How safe"; do
    if grep -qF -- "$leak" "$SK_LOG"; then
        sk_fail "the log holds '$leak'"
    fi
done
grep -q 'voice: channel=vg contact=.* step=' "$SK_LOG" ||
    sk_fail "no voice log line for the Vonage channel"
sk_log "Vonage voice calls: signed webhooks, keypad, timeouts, a spoken answer, status"
