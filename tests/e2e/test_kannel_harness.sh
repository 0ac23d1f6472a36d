#!/usr/bin/env bash
#
# The Kannel harness, proved with real Kannel and without Sikiliza.
#
# Phones (sk-phone) on bearerbox's fake SMSC text a stand-in gateway
# (sk-echo) that smsbox posts to with the sample configuration's post-url;
# sk-echo answers "echo: TEXT" through smsbox's sendsms. Checked: English,
# French, Arabic and an emoji from three numbers each come back to the
# right number intact; a reply with a newline and long (concatenated)
# replies too; smsbox retries a request answered 503 with the same id;
# delivery reports reach the dlr-url; after a bearerbox restart messages
# still get through; Kannel's log files and access log hold no number and
# no text; both tools exit cleanly (ASan checks their leaks).
#
# Needs Debian's kannel (skips with 77 without it), SK_PHONE and SK_ECHO.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SK_SOURCE_DIR=${SK_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
# shellcheck source-path=SCRIPTDIR
source "$here/kannel_lib.sh"

if ! kannel_available; then
    echo "SKIP: Kannel is not installed (apt-get install kannel)"
    exit 77
fi
for tool in SK_PHONE SK_ECHO; do
    if [[ ! -x ${!tool:-} ]]; then
        echo "FAIL: $tool must name the built tool (run through ctest)" >&2
        exit 1
    fi
done

tmp=$(mktemp -d)
echo_pid=
phone_pid=
phone_fd=

cleanup()
{
    local rc=$?
    set +e
    if [[ -n $phone_fd ]]; then
        exec {phone_fd}>&-
    fi
    if [[ -n $phone_pid ]]; then
        kill "$phone_pid" 2>/dev/null
        wait "$phone_pid" 2>/dev/null
    fi
    if [[ -n $echo_pid ]]; then
        kill "$echo_pid" 2>/dev/null
        wait "$echo_pid" 2>/dev/null
    fi
    kannel_stop
    if ((rc != 0)); then
        kannel_dump_logs
        for f in phone.out phone.err echo.out echo.err; do
            echo "---- $f" >&2
            tail -n 40 "$tmp/$f" >&2 2>/dev/null
        done
    fi
    rm -rf "$tmp"
    exit "$rc"
}
trap cleanup EXIT

fail()
{
    echo "FAIL: $*" >&2
    exit 1
}

# expect LINE [SECONDS]: wait until a phone printed exactly LINE.
expect()
{
    local deadline=$((SECONDS + ${2:-30}))
    until grep -qxF -- "$1" "$tmp/phone.out"; do
        ((SECONDS < deadline)) || fail "no reply: $1"
        sleep 0.1
    done
    echo "ok: $1"
}

# send FROM TEXT: a phone texts the short code.
send()
{
    printf '%s 1234 %s\n' "$1" "$2" >&"$phone_fd"
}

a=+254700000001
b=+254700000002
c=+254700000003
long_en=$(printf 'word%02d ' $(seq 1 40))
long_en=${long_en% }
long_ar=$(printf 'كلمة%s ' $(seq 1 30))
long_ar=${long_ar% }

echo_port=$(kannel_free_port)
secret=s$RANDOM$RANDOM
kannel_setup "$tmp" "$(kannel_post_url "127.0.0.1:$echo_port" "$secret")"

# The first inbound request is answered 503: smsbox must retry it.
"$SK_ECHO" -l "$echo_port" -k "$KANNEL_SENDSMS_PORT" -u "$KANNEL_USER" \
    -P "$KANNEL_PASS" -S "$secret" -f 1 >"$tmp/echo.out" 2>"$tmp/echo.err" &
echo_pid=$!
kannel_wait_port "$echo_port" 10
kannel_start

mkfifo "$tmp/phone.in"
"$SK_PHONE" -p "$KANNEL_FAKE_PORT" -c 60 -d 5 -n 11 \
    <"$tmp/phone.in" >"$tmp/phone.out" 2>"$tmp/phone.err" &
phone_pid=$!
exec {phone_fd}>"$tmp/phone.in"
kannel_wait_smsc_online 30

send $a "Hello, how are you?"
send $b "Ça va très bien, merci! Où êtes-vous?"
send $c "مرحبا، كيف حالك؟"
send $a "I am fine 😀"
expect "1234 $a echo: Hello, how are you?"
expect "1234 $b echo: Ça va très bien, merci! Où êtes-vous?"
expect "1234 $c echo: مرحبا، كيف حالك؟"
expect "1234 $a echo: I am fine 😀"

# A newline reaches the phone raw in a text line; sk-phone joins it back.
send $b 'first line\nsecond line'
expect "1234 $b echo: first line\\nsecond line"
# Long replies are split by Kannel into parts and joined by the phone.
send $c "$long_en"
send $a "$long_ar"
expect "1234 $c echo: $long_en"
expect "1234 $a echo: $long_ar"

# smsbox retried the request answered 503, with the same id.
first_id=$(awk '$1 == "receive" && $3 == 503 { print $2; exit }' \
    "$tmp/echo.out")
[[ -n $first_id ]] || fail "sk-echo never answered 503"
grep -qx "receive $first_id 202 POST" "$tmp/echo.out" ||
    fail "smsbox did not retry $first_id after a 503"
echo "ok: smsbox retried after 503 with the same id"

# The new boxes must not inherit the phone's stdin, or it never sees EOF.
kannel_restart_bearerbox {phone_fd}>&-
kannel_wait_smsc_online 30
echo "ok: bearerbox restarted, phone reconnected"

send $a "After the restart"
send $b "Après le redémarrage, ça marche?"
send $c "بعد إعادة التشغيل"
send $a "🎉 done"
expect "1234 $a echo: After the restart"
expect "1234 $b echo: Après le redémarrage, ça marche?"
expect "1234 $c echo: بعد إعادة التشغيل"
expect "1234 $a echo: 🎉 done"

# Nothing else arrived: no reply from Kannel itself, no duplicate.
exec {phone_fd}>&-
phone_fd=
wait "$phone_pid" || fail "sk-phone exited with $?"
phone_pid=
lines=$(wc -l <"$tmp/phone.out")
((lines == 11)) || fail "phones got $lines messages, expected 11"
if grep -v ' echo: ' "$tmp/phone.out"; then
    fail "a phone got a message that is not an echo"
fi
if grep -v 'connection to Kannel lost' "$tmp/phone.err"; then
    fail "sk-phone complained"
fi
echo "ok: 11 replies, each once"

# Delivery reports: the fake SMSC acknowledges (8) and delivers (1); smsbox
# calls the dlr-url with GET. Inbound messages come with POST.
deadline=$((SECONDS + 15))
until (($(grep -c '^status [0-9]* 1 GET$' "$tmp/echo.out") >= 11)); do
    ((SECONDS < deadline)) || fail "delivery reports missing"
    sleep 0.1
done
echo "ok: a delivery report for every reply"
if grep -v -e '^status [0-9]* [18] GET$' -e '^receive [-0-9a-f]* [0-9]* POST$' \
    "$tmp/echo.out"; then
    fail "unexpected requests from smsbox"
fi

kill "$echo_pid"
wait "$echo_pid" || fail "sk-echo exited with $?"
echo_pid=
kannel_stop

# The sample's logs keep numbers and texts out.
for f in access.log bearerbox.log smsbox.log; do
    [[ -f $tmp/$f ]] || continue
    if grep -E '2547000|echo|Hello|%2B' "$tmp/$f"; then
        fail "$f holds a number or a text"
    fi
done
grep -q 'Receive SMS' "$tmp/access.log" || fail "access log is empty"
echo "ok: Kannel logs hold no numbers and no texts"
echo "PASS"
