#!/usr/bin/env bash
# The admin API on [server] admin_listen, with the real gateway:
# - start-up refuses a token file that is missing, too open or too short;
# - 401 with "WWW-Authenticate: Bearer" and an empty body without the
#   token and with a wrong one, on known and unknown paths; 200 with it;
# - /api/flows lists the example flows with their languages, node counts
#   and keywords; /api/audit returns the audit log;
# - every answered call is in `sikiliza audit` (actor admin:HASH8, never
#   the token); the webhook listener still answers while the admin API
#   is used; the gateway's log carries neither the token nor a number;
# - a peer with too many failed attempts gets 429, also with the token.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init admin
sk_need_command serve keygen audit

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
TOKEN=$(head -c 32 /dev/urandom | base64 | tr -d '=+/\n')
[ "${#TOKEN}" -ge 32 ] || sk_fail "could not make a token"
TOKFILE=$GW/admin.token
ADMIN_PORT=$(sk_free_port)
sk_conf "$GW" "$SECRET"
sed -i "s|^listen = .*|&\nadmin_listen = 127.0.0.1:$ADMIN_PORT\nadmin_token_file = $TOKFILE|" \
    "$SK_CONF"
grep -q '^admin_listen' "$SK_CONF" || sk_fail "cannot set admin_listen"
ADMIN=http://127.0.0.1:$ADMIN_PORT

# serve_refuses WHAT: serve exits at once with a message naming the file.
serve_refuses() {
    local rc=0
    timeout -k 5 30 "$SK_BIN" serve -c "$SK_CONF" >"$WORK/refused.log" 2>&1 ||
        rc=$?
    [ "$rc" != 0 ] && [ "$rc" != 124 ] ||
        sk_fail "serve started with $1 (exit $rc)"
    grep -q 'admin_token_file' "$WORK/refused.log" ||
        sk_fail "serve with $1 does not say why: $(cat "$WORK/refused.log")"
}

# Start-up checks of the token file.
serve_refuses "no token file"
printf '%s\n' "$TOKEN" >"$TOKFILE"
chmod 644 "$TOKFILE"
serve_refuses "a token file others can read"
grep -q 'chmod 600' "$WORK/refused.log" || sk_fail "no hint to chmod 600"
printf 'short-token\n' >"$TOKFILE"
chmod 600 "$TOKFILE"
serve_refuses "a short token"
printf '%s\n' "$TOKEN" >"$TOKFILE"
chmod 600 "$TOKFILE"
sk_start

# One child's answers, with a phone number in them, for the log check.
NUMBER=+2547$RANDOM$RANDOM
say() {
    local code
    code=$(sk_http "$WORK/$2.json" \
        --data-urlencode "from=$1" --data-urlencode "text=$3" \
        --data-urlencode "id=$2" \
        "$SK_URL/c/demo/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "message $2: HTTP $code"
}
say "$NUMBER" m1 "hello"

# admin_get OUT PATH [CURL-ARGS...]: prints the status.
admin_get() {
    local out=$1 path=$2
    shift 2
    sk_http "$out" -D "$out.headers" "$@" "$ADMIN$path"
}

# 401 without the token and with a wrong one, on every path.
for path in /api/flows /api/audit /nope /healthz; do
    code=$(admin_get "$WORK/noauth" "$path")
    [ "$code" = 401 ] || sk_fail "$path without a token: HTTP $code"
    grep -qi '^WWW-Authenticate: Bearer' "$WORK/noauth.headers" ||
        sk_fail "$path: 401 without WWW-Authenticate: Bearer"
    [ ! -s "$WORK/noauth" ] || sk_fail "$path: 401 says: $(cat "$WORK/noauth")"
done
code=$(admin_get "$WORK/wrong" /api/flows -H "Authorization: Bearer x$TOKEN")
[ "$code" = 401 ] || sk_fail "a wrong token: HTTP $code"
code=$(admin_get "$WORK/wrong" /api/flows -H "Authorization: Basic $TOKEN")
[ "$code" = 401 ] || sk_fail "the token as Basic: HTTP $code"
AUTH=(-H "Authorization: Bearer $TOKEN")

# /api/flows
code=$(admin_get "$WORK/flows.json" /api/flows "${AUTH[@]}")
[ "$code" = 200 ] || sk_fail "/api/flows: HTTP $code: $(cat "$WORK/flows.json")"
jq -e '.flows | length > 0' "$WORK/flows.json" >/dev/null ||
    sk_fail "/api/flows lists no flow: $(cat "$WORK/flows.json")"
jq -e '.flows[] | select(.name == "Wellbeing Check") |
       (.uuid | length == 36) and .type == "messaging" and .nodes > 0 and
       (.languages | length > 0) and (.revision | type == "number") and
       (.keyword_triggered | type == "boolean")' \
    "$WORK/flows.json" >/dev/null ||
    sk_fail "/api/flows: Wellbeing Check incomplete: $(cat "$WORK/flows.json")"
jq -e '[.flows[] | select(.keyword_triggered)] | length > 0' \
    "$WORK/flows.json" >/dev/null ||
    sk_fail "/api/flows: no keyword-triggered flow: $(cat "$WORK/flows.json")"
code=$(admin_get "$WORK/nf" /api/nope "${AUTH[@]}")
[ "$code" = 404 ] || sk_fail "/api/nope with the token: HTTP $code"

# The webhook listener answers while the admin API is busy.
pids=()
for i in 1 2 3 4 5 6; do
    admin_get "$WORK/busy$i" /api/flows "${AUTH[@]}" >/dev/null &
    pids+=($!)
done
say "$NUMBER" m2 "yes"
wait "${pids[@]}"
sk_alive

# /api/audit and `sikiliza audit` hold each answered call, by the token's
# hash, never the token.
code=$(admin_get "$WORK/audit.json" /api/audit "${AUTH[@]}")
[ "$code" = 200 ] || sk_fail "/api/audit: HTTP $code"
HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -c1-8)
jq -e --arg a "admin:$HASH" \
    '[.audit[] | select(.actor == $a and .action == "/api/flows")] |
     length == 7' "$WORK/audit.json" >/dev/null ||
    sk_fail "/api/audit: want 7 /api/flows calls by admin:$HASH: $(cat "$WORK/audit.json")"
out=$(sk_bin audit -c "$SK_CONF") || sk_fail "sikiliza audit failed"
n=$(grep -c "admin:$HASH	/api/" <<<"$out" || true)
[ "$n" = 8 ] || sk_fail "sikiliza audit shows $n admin calls, want 8: $out"
case $out in *"$TOKEN"*) sk_fail "the audit log holds the token" ;; esac
code=$(admin_get "$WORK/since.json" "/api/audit?since=abc" "${AUTH[@]}")
[ "$code" = 400 ] || sk_fail "/api/audit?since=abc: HTTP $code"

# Too many failures from one peer: 429, then also with the token.
for i in $(seq 1 10); do
    admin_get "$WORK/bad" /api/flows -H "Authorization: Bearer bad$i" \
        >/dev/null
done
code=$(admin_get "$WORK/limited" /api/flows "${AUTH[@]}")
[ "$code" = 429 ] || sk_fail "after 10 failures: HTTP $code, want 429"
# the providers' listener is not limited by it
say "$NUMBER" m3 "no"
sk_alive
sk_stop

grep -qF -- "$TOKEN" "$SK_LOG" && sk_fail "the log holds the token"
grep -qF -- "${NUMBER#+}" "$SK_LOG" && sk_fail "the log holds the number"
sk_log "ok"
