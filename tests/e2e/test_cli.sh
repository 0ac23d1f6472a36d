#!/usr/bin/env bash
# The command line and the log as an operator first meets them:
# `sikiliza help [COMMAND]` is --help; a usage error is one line and a
# pointer to the help; the start line counts in the singular and plural;
# [server] log_format = json gives one JSON object per line; under
# journald (JOURNAL_STREAM) lines carry a <N> priority and no time; a
# refused webhook says "bad secret" or "bad signature" as its type checks;
# an invalid channel secret stops serve before any warning; run-demo takes
# a bare PORT.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init cli
sk_need_command serve help config

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret

# --- help ------------------------------------------------------------------
[ "$(sk_bin help)" = "$(sk_bin --help)" ] || sk_fail "help is not --help"
for cmd in serve keygen flow simulate export config audit; do
    [ "$(sk_bin help "$cmd")" = "$(sk_bin "$cmd" --help)" ] ||
        sk_fail "help $cmd is not $cmd --help"
done
sk_bin help serve | grep -q '^usage: sikiliza serve -c FILE' ||
    sk_fail "help serve: $(sk_bin help serve)"

# --- usage errors: one line, then where the help is -----------------------
# usage NAME WANT-LAST-LINE ARGS...: the command must exit 2 with exactly
# two lines on stderr, "sikiliza: ..." and WANT-LAST-LINE.
usage() {
    local name=$1 want=$2 rc=0
    shift 2
    sk_bin "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    [ "$rc" = 2 ] || sk_fail "$name: exit $rc, want 2"
    [ "$(wc -l <"$WORK/$name.err")" = 2 ] ||
        sk_fail "$name: not two lines: $(cat "$WORK/$name.err")"
    case $(head -n 1 "$WORK/$name.err") in
    "sikiliza: "*) ;;
    *) sk_fail "$name: $(cat "$WORK/$name.err")" ;;
    esac
    [ "$(tail -n 1 "$WORK/$name.err")" = "$want" ] ||
        sk_fail "$name: last line: $(tail -n 1 "$WORK/$name.err")"
    [ ! -s "$WORK/$name.out" ] || sk_fail "$name: wrote to stdout"
}
usage none "Try 'sikiliza --help'."
usage unknown "Try 'sikiliza --help'." frobnicate
usage help_unknown "Try 'sikiliza --help'." help frobnicate
usage keygen "Try 'sikiliza keygen --help'." keygen
usage serve "Try 'sikiliza serve --help'." serve
usage serve_extra "Try 'sikiliza serve --help'." serve -c x extra
usage flow "Try 'sikiliza flow --help'." flow
usage export "Try 'sikiliza export --help'." export -c x
usage simulate "Try 'sikiliza simulate --help'." simulate
sk_contains "$(cat "$WORK/unknown.err")" 'unknown command "frobnicate"' \
    "unknown command"

# --- the start line: singular and plural -----------------------------------
sk_conf "$GW" "$SECRET" "send_url = http://127.0.0.1:9/send"
sk_start
sk_stop
grep -q "info serve: listening on 127.0.0.1:[0-9]* (1 channel, [0-9]* flows," \
    "$SK_LOG" || sk_fail "one channel: $(grep listening "$SK_LOG")"
cat >>"$SK_CONF" <<EOF

[channel other]
type = generic
secret = $SECRET-2
send_url = http://127.0.0.1:9/send
EOF
: >"$SK_LOG"
sk_start
sk_stop
grep -q "listening on 127.0.0.1:[0-9]* (2 channels, " "$SK_LOG" ||
    sk_fail "two channels: $(grep listening "$SK_LOG")"

# --- log_format = json: every line an object of four strings --------------
sed 's/^\[server\]$/[server]\nlog_format = json/' "$SK_CONF" >"$WORK/json.conf"
SK_CONF=$WORK/json.conf
SK_LOG=$WORK/json.log
sk_start
code=$(sk_http "$WORK/json.body" -X POST \
    "$SK_URL/c/demo/receive?secret=wrong-secret-$RANDOM" \
    --data-urlencode "from=+254700000001" --data-urlencode "text=hello")
[ "$code" = 403 ] || sk_fail "json: a wrong secret got $code"
sk_stop
grep -v '^--- start' "$SK_LOG" >"$WORK/json.lines"
[ "$(wc -l <"$WORK/json.lines")" -ge 3 ] || sk_fail "json: too few lines"
jq -e -s 'all(type == "object" and (keys == ["area", "level", "message",
    "time"]) and all(.[]; type == "string"))' "$WORK/json.lines" >/dev/null ||
    sk_fail "json: not one object per line: $(head -n 5 "$WORK/json.lines")"
jq -e -s 'any(.level == "info" and .area == "serve" and
    (.message | startswith("listening on")))' "$WORK/json.lines" >/dev/null ||
    sk_fail "json: no start line"
jq -e -s 'any(.level == "warn" and .message == "channel=demo denied: bad secret")' \
    "$WORK/json.lines" >/dev/null || sk_fail "json: no bad secret line"
grep -q '254700000001\|hello' "$WORK/json.lines" &&
    sk_fail "json: the number or the text is in the log"

# --- journald: <N> priorities and no time ---------------------------------
SK_CONF=$GW/sikiliza.conf
SK_LOG=$WORK/journal.log
: >"$SK_LOG"
JOURNAL_STREAM=$(stat -c '%d:%i' "$SK_LOG")
export JOURNAL_STREAM
sk_start
sk_stop
unset JOURNAL_STREAM
grep -q '^<6>info serve: listening on ' "$SK_LOG" ||
    sk_fail "journal: $(head -n 3 "$SK_LOG")"
grep -v '^--- start' "$SK_LOG" | grep -qv '^<[0-7]>' &&
    sk_fail "journal: a line without a priority: $(cat "$SK_LOG")"
# JOURNAL_STREAM naming something else (a child's inherited variable):
# the usual text lines
SK_LOG=$WORK/notjournal.log
JOURNAL_STREAM=1:1 sk_start
sk_stop
grep -q '^20[0-9-]*T[0-9:.]*Z info serve: listening on ' "$SK_LOG" ||
    sk_fail "not journal: $(head -n 3 "$SK_LOG")"

# --- the word for a refusal: bad secret, bad signature ---------------------
cat >"$WORK/tw.conf" <<EOF
[server]
listen = 127.0.0.1:$(sk_free_port)
public_url = https://hotline.example.org

[store]
path = $WORK/tw.db

[privacy]
key_file = $GW/secret.key

[flows]
dir = $SK_SOURCE_DIR/flows/examples
default = Wellbeing Check

[channel tw]
type = twilio
account_sid = AC$RANDOM$RANDOM
auth_token = token-$RANDOM$RANDOM
number = +15005550006

[channel demo]
type = generic
secret = $SECRET
send_url = http://127.0.0.1:9/send
EOF
SK_CONF=$WORK/tw.conf
SK_LOG=$WORK/tw.log
sk_start
code=$(sk_http "$WORK/tw.body" -X POST "$SK_URL/c/tw/receive" \
    -H "X-Twilio-Signature: bm90IGEgc2lnbmF0dXJl" \
    --data "From=%2B254700000002&Body=hi&MessageSid=SM$RANDOM")
[ "$code" = 403 ] || sk_fail "twilio: a bad signature got $code"
code=$(sk_http "$WORK/demo.body" -X POST \
    "$SK_URL/c/demo/receive?secret=not-$SECRET" \
    --data "from=%2B254700000003&text=hi")
[ "$code" = 403 ] || sk_fail "generic: a wrong secret got $code"
sk_stop
grep -q 'warn inbound: channel=tw denied: bad signature$' "$SK_LOG" ||
    sk_fail "twilio: $(grep denied "$SK_LOG")"
grep -q 'warn inbound: channel=demo denied: bad secret$' "$SK_LOG" ||
    sk_fail "generic: $(grep denied "$SK_LOG")"

# --- an invalid secret: the problem first, before any warning -------------
sed -e '/^\[channel demo\]/,$d' "$GW/sikiliza.conf" >"$WORK/order.conf"
cat >>"$WORK/order.conf" <<EOF
[channel demo]
type = generic
secret = abc
EOF
rc=0
sk_bin serve -c "$WORK/order.conf" >/dev/null 2>"$WORK/order.err" || rc=$?
[ "$rc" = 1 ] || sk_fail "invalid secret: serve exited $rc, want 1"
case $(head -n 1 "$WORK/order.err") in
"$WORK/order.conf:"*": [channel demo]: secret is too short"*) ;;
*) sk_fail "invalid secret: first line: $(cat "$WORK/order.err")" ;;
esac
grep -q 'warn serve: channel=demo has no send_url' "$WORK/order.err" ||
    sk_fail "invalid secret: the warning is gone: $(cat "$WORK/order.err")"

# --- run-demo: PORT or HOST:PORT, nothing else -----------------------------
rc=0
"$SK_SOURCE_DIR/deploy/run-demo" not-a-port >/dev/null 2>"$WORK/demo.err" ||
    rc=$?
[ "$rc" = 2 ] || sk_fail "run-demo not-a-port: exit $rc, want 2"
sk_contains "$(cat "$WORK/demo.err")" "[PORT | HOST:PORT]" "run-demo usage"
"$SK_SOURCE_DIR/deploy/run-demo" --help | grep -q 'PORT (for example 8090' ||
    sk_fail "run-demo --help does not name PORT"

sk_log "ok"
