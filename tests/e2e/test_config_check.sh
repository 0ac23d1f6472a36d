#!/usr/bin/env bash
# `sikiliza config check -c FILE`: the checks serve makes at start, without
# starting anything. A good config gets a one-line summary (exit 0) and
# nothing is created; a bad one gets every problem at once as
# `file:line: reason`, the warnings after them (exit 1), and serve refuses
# the same config with the same problems. A config with no channel is
# warned of; a database of a newer schema is refused by both.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init config_check
sk_need_command config serve

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"
DB=$GW/sikiliza.db

# check NAME CONF WANT-STATUS: runs config check; its stdout and stderr
# are in $WORK/NAME.out and $WORK/NAME.err.
check() {
    local rc=0
    sk_bin config check -c "$2" >"$WORK/$1.out" 2>"$WORK/$1.err" || rc=$?
    [ "$rc" = "$3" ] ||
        sk_fail "$1: config check exited $rc, want $3: $(cat "$WORK/$1.err")"
}

# line_of FILE PATTERN: the number of the first line of FILE matching
# PATTERN (grep -n's).
line_of() {
    grep -n -m1 -- "$2" "$1" | cut -d: -f1
}

# --- a good config: a summary, nothing started or created ----------------
check good "$SK_CONF" 0
out=$(cat "$WORK/good.out")
nwarn=$(grep -c '^warning: ' "$WORK/good.err" || true)
case $out in
"$SK_CONF: ok: 1 channel, "[0-9]*" flows, $nwarn warnings") ;;
*) sk_fail "good: summary: $out ($nwarn warnings printed)" ;;
esac
[ "$(grep -vc '^warning: ' "$WORK/good.err")" = 0 ] ||
    sk_fail "good: more than warnings: $(cat "$WORK/good.err")"
sk_contains "$(cat "$WORK/good.err")" \
    "warning: channel=demo has no send_url: timeouts and reminders" \
    "good: the send_url warning"
[ ! -e "$DB" ] || sk_fail "config check created the database"
# a send_url and the flows' globals: one warning less each
cp "$SK_CONF" "$WORK/quiet.conf"
echo "send_url = http://127.0.0.1:9/send" >>"$WORK/quiet.conf"
sed -i 's/^\[flows\]$/[flows]\norganisation = Example\nhelpline = 116/' \
    "$WORK/quiet.conf"
check quiet "$WORK/quiet.conf" 0
quiet=$(grep -c '^warning: ' "$WORK/quiet.err" || true)
[ "$quiet" -lt "$((nwarn - 2))" ] ||
    sk_fail "quiet: $quiet warnings, good had $nwarn: $(cat "$WORK/quiet.err")"
case $(cat "$WORK/quiet.err") in
*send_url* | *"organisation is not set"*) sk_fail "quiet: $(cat "$WORK/quiet.err")" ;;
esac
sk_contains "$(cat "$WORK/quiet.out")" ", $quiet warning" "quiet: summary"

# --- many problems: all of them, file:line, then the warnings ------------
BAD=$WORK/bad.conf
cat >"$BAD" <<EOF
[server]
listen = 127.0.0.1:$(sk_free_port)
admin_listen = 127.0.0.1:$(sk_free_port)
admin_token_file = $WORK/no-such.token

[store]
path = $WORK/no-such-dir/sikiliza.db

[privacy]
key_file = $WORK/no-such.key

[flows]
dir = $SK_SOURCE_DIR/flows/examples
default = No Such Flow

[channel demo]
type = generic
secret = change-me

[channel short]
type = generic
secret = abc
flow = Nor This One
EOF
check bad "$BAD" 1
err=$(cat "$WORK/bad.err")
sk_contains "$err" \
    "$BAD:$(line_of "$BAD" '^key_file'): key file $WORK/no-such.key" \
    "bad: key file"
sk_contains "$err" \
    "$BAD:$(line_of "$BAD" '^secret = change-me'): [channel demo]: secret is a sample value" \
    "bad: sample secret"
sk_contains "$err" \
    "$BAD:$(line_of "$BAD" '^secret = abc'): [channel short]: secret is too short" \
    "bad: short secret"
sk_contains "$err" \
    "$BAD:$(line_of "$BAD" '^flow = '): [channel short]: flow \"Nor This One\" not found" \
    "bad: channel flow"
sk_contains "$err" \
    "$BAD:$(line_of "$BAD" '^default = '): [flows] default: flow \"No Such Flow\" not found" \
    "bad: default flow"
sk_contains "$err" \
    "$BAD:$(line_of "$BAD" '^admin_token_file'): [server] admin_token_file $WORK/no-such.token: cannot open it" \
    "bad: admin token"
sk_contains "$err" \
    "$BAD:$(line_of "$BAD" '^path'): [store] path $WORK/no-such-dir/sikiliza.db: its directory does not exist" \
    "bad: store directory"
[ ! -s "$WORK/bad.out" ] || sk_fail "bad: a summary: $(cat "$WORK/bad.out")"
# the warnings come after every problem
last_problem=$(grep -vn '^warning: ' "$WORK/bad.err" | tail -n 1 | cut -d: -f1)
first_warning=$(grep -n '^warning: ' "$WORK/bad.err" | head -n 1 | cut -d: -f1)
[ -n "$first_warning" ] || sk_fail "bad: no warning: $err"
[ "$first_warning" -gt "$last_problem" ] ||
    sk_fail "bad: a warning before a problem: $err"
case $err in
*change-me* | *"= abc"*) sk_fail "bad: a secret is quoted: $err" ;;
esac

# serve refuses it with the same problems, before any warning
rc=0
sk_bin serve -c "$BAD" >"$WORK/serve-bad.out" 2>"$WORK/serve-bad.err" || rc=$?
[ "$rc" = 1 ] || sk_fail "serve on the bad config exited $rc, want 1"
grep -v '^warning: ' "$WORK/bad.err" >"$WORK/bad.problems"
head -n "$(wc -l <"$WORK/bad.problems")" "$WORK/serve-bad.err" \
    >"$WORK/serve-bad.problems"
diff "$WORK/bad.problems" "$WORK/serve-bad.problems" >&2 ||
    sk_fail "serve and config check differ on the problems"
grep -q ' warn serve: channel=demo has no send_url' "$WORK/serve-bad.err" ||
    sk_fail "serve: no warning after the problems"

# a file that does not load: its first error, file:line
printf '[server]\nlisten = 127.0.0.1:1\ncolour = red\n' >"$WORK/syntax.conf"
check syntax "$WORK/syntax.conf" 1
sk_contains "$(cat "$WORK/syntax.err")" \
    "$WORK/syntax.conf:3: unknown key 'colour' in [server]" "syntax"

# --- voice: the [asr] files ------------------------------------------
cat "$SK_CONF" - >"$WORK/voice.conf" <<EOF

[channel tw]
type = twilio
account_sid = AC$RANDOM$RANDOM
auth_token = token-$RANDOM$RANDOM
number = +15005550006
media_hosts = 127.0.0.1

[asr]
model = $WORK/no-model
EOF
sed -i 's|^\[server\]$|[server]\npublic_url = https://hotline.example.org|' \
    "$WORK/voice.conf"
check voice "$WORK/voice.conf" 1
err=$(cat "$WORK/voice.err")
sk_contains "$err" \
    "$WORK/voice.conf:$(line_of "$WORK/voice.conf" '^model'): [asr] model: $WORK/no-model is not a directory" \
    "voice: asr model"
# the default model is there; a voice channel without [asr] is fine
if [ -d /usr/share/pocketsphinx/model/en-us/en-us ]; then
    sed '/^\[asr\]/,$d' "$WORK/voice.conf" >"$WORK/voice-ok.conf"
    check voice-ok "$WORK/voice-ok.conf" 0
fi

# --- no channel: a warning, from config check and serve ------------------
sed '/^\[channel demo\]/,$d' "$SK_CONF" >"$WORK/none.conf"
check none "$WORK/none.conf" 0
sk_contains "$(cat "$WORK/none.err")" \
    "no [channel NAME] section: nothing can reach the gateway" "none"
sk_contains "$(cat "$WORK/none.out")" ": ok: 0 channels, " "none: summary"
SK_CONF=$WORK/none.conf
SK_LOG=$WORK/none.log
sk_start
sk_stop
grep -q 'warn serve: .*nothing can reach the gateway' "$SK_LOG" ||
    sk_fail "serve: no warning for a config without channels"
grep -q 'listening on 127.0.0.1:[0-9]* (0 channels, ' "$SK_LOG" ||
    sk_fail "serve: start line: $(grep listening "$SK_LOG")"

# --- a database of a newer schema: refused, with what to do --------------
NDB=$(sed -n 's/^path *= *//p' "$SK_CONF")
[ -f "$NDB" ] || sk_fail "no database at $NDB"
now=$(sqlite3 "$NDB" 'PRAGMA user_version;')
sqlite3 "$NDB" "PRAGMA user_version = $((now + 5));"
want="$NDB: store schema $((now + 5)) is newer than this sikiliza ($now): upgrade sikiliza or restore a backup"
check newer "$SK_CONF" 1
sk_contains "$(cat "$WORK/newer.err")" "$want" "config check: newer schema"
rc=0
sk_bin serve -c "$SK_CONF" >/dev/null 2>"$WORK/serve-newer.err" || rc=$?
[ "$rc" != 0 ] || sk_fail "serve started on a newer schema"
sk_contains "$(cat "$WORK/serve-newer.err")" "$want" "serve: newer schema"
[ "$(sqlite3 "$NDB" 'PRAGMA user_version;')" = $((now + 5)) ] ||
    sk_fail "the newer database was changed"

# --- usage ---------------------------------------------------------------
rc=0
sk_bin config >/dev/null 2>"$WORK/usage.err" || rc=$?
[ "$rc" = 2 ] || sk_fail "config alone: exit $rc, want 2"
[ "$(tail -n 1 "$WORK/usage.err")" = "Try 'sikiliza config --help'." ] ||
    sk_fail "config alone: $(cat "$WORK/usage.err")"
rc=0
sk_bin config check >/dev/null 2>"$WORK/usage.err" || rc=$?
[ "$rc" = 2 ] || sk_fail "config check without -c: exit $rc, want 2"
sk_bin config --help | grep -q '^usage: sikiliza config check -c FILE' ||
    sk_fail "config --help"
sk_bin config check --help | grep -q '^usage: sikiliza config check' ||
    sk_fail "config check --help"

sk_log "ok"
