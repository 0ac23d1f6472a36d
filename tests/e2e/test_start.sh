#!/usr/bin/env bash
# What `sikiliza serve` refuses at start, and says why: a second gateway
# on a database that one already runs on (both would send the outbox); a
# listen address it cannot have, with the reason; a channel secret that
# is a sample value or too short to be secret. A generic channel without
# send_url starts with a warning that timeouts and reminders stay queued.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init start
sk_need_command serve keygen

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"
DB=$GW/sikiliza.db

# serve_fails NAME CONF WANT-STATUS: runs serve, which must exit with
# WANT-STATUS at once; its stderr is in $WORK/NAME.err.
serve_fails() {
    local rc=0
    sk_bin serve -c "$2" >"$WORK/$1.out" 2>"$WORK/$1.err" || rc=$?
    [ "$rc" = "$3" ] ||
        sk_fail "$1: serve exited $rc, want $3: $(cat "$WORK/$1.err")"
}

# --- one gateway per database ---------------------------------------------
sk_start
sed "s/^listen *=.*/listen = 127.0.0.1:$(sk_free_port)/" "$SK_CONF" \
    >"$WORK/second.conf"
serve_fails second "$WORK/second.conf" 3
sk_contains "$(cat "$WORK/second.err")" \
    "database $DB is in use by another sikiliza serve (pid $SK_PID)" \
    "second serve on the same database"

# --- the listen address is taken, or does not resolve ---------------------
mkdir -p "$WORK/other"
sed "s|$GW/|$WORK/other/|" "$SK_CONF" >"$WORK/taken.conf"
cp "$GW/secret.key" "$WORK/other/secret.key"
serve_fails taken "$WORK/taken.conf" 3
sk_contains "$(cat "$WORK/taken.err")" \
    "cannot listen on 127.0.0.1:$SK_PORT: address in use" "listen taken"
sed "s/^listen *=.*/listen = nosuchhost.invalid:$SK_PORT/" \
    "$WORK/taken.conf" >"$WORK/unknown.conf"
serve_fails unknown "$WORK/unknown.conf" 3
sk_contains "$(cat "$WORK/unknown.err")" \
    "cannot listen on nosuchhost.invalid:$SK_PORT: cannot resolve" \
    "listen host unknown"
sk_alive
sk_stop
warned() {
    grep -cF "channel=demo has no send_url: timeouts and reminders for it" \
        "$SK_LOG" || true
}
[ "$(warned)" = 1 ] ||
    sk_fail "no (or more than one) warning for a channel without send_url"
# once the first has stopped, the database is free again; with a send_url
# there is nothing to warn about
echo "send_url = http://127.0.0.1:$(sk_free_port)/send" >>"$SK_CONF"
sk_start
sk_stop
[ "$(warned)" = 1 ] || sk_fail "a warning for a channel with a send_url"


# --- channel secrets: no sample value, 12 characters at least -------------
bad_secret() {
    local name=$1 secret=$2 section=${3:-demo} err line
    sed "/^\[channel $section\]/,/^\[/s/^secret *=.*/secret = $secret/" \
        "$WORK/$4.conf" >"$WORK/$name.conf"
    serve_fails "$name" "$WORK/$name.conf" 1
    err=$(cat "$WORK/$name.err")
    line=$(grep -n '^secret = '"$secret"'$' "$WORK/$name.conf" | cut -d: -f1)
    sk_contains "$err" "$WORK/$name.conf:$line: [channel $section]: secret $5" \
        "$name"
    case $err in
    *"$secret"*) sk_fail "$name: the message quotes the secret: $err" ;;
    esac
}
bad_secret sample change-me demo taken "is a sample value"
bad_secret sample2 Change-Me-Too demo taken "is a sample value"
bad_secret short abc123def45 demo taken \
    "is too short (12 characters at least)"
# an Africa's Talking channel's secret is checked the same way
cat "$WORK/taken.conf" - >"$WORK/at.conf" <<EOT

[channel at]
type = africastalking
secret = $SECRET-at
username = sandbox
api_key = key-$RANDOM
number = 12345
EOT
bad_secret at_sample change-me-as-well at at "is a sample value"

sk_log "ok"
