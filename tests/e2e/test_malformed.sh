#!/usr/bin/env bash
# Bad input gets a clear refusal and changes nothing: broken JSON, an
# oversize body, missing fields, invalid UTF-8, a wrong or missing secret,
# an unknown channel. The gateway keeps answering after each. A flow with
# a dangling exit and a config with an unknown key are refused with the
# place of the problem.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init malformed
sk_need_command serve keygen flow

GW=$SK_TMP/gw
WORK=$SK_TMP/work
mkdir -p "$GW" "$WORK"
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"
sk_start

RECEIVE="/c/demo/receive?secret=$SECRET"
TABLES="inbound contacts results outbox vault"

counts() {
    local t
    for t in $TABLES; do
        printf '%s=%s ' "$t" "$(sk_count "$t")"
    done
}

# refused STATUS WHAT CURL-ARGS...: the request gets STATUS, nothing is
# stored and the gateway still answers /healthz.
refused() {
    local want=$1 what=$2 before code
    shift 2
    before=$(counts)
    code=$(sk_http "$WORK/body" "$@")
    [ "$code" = "$want" ] ||
        sk_fail "$what: expected HTTP $want, got $code: $(head -c 300 "$WORK/body")"
    sk_alive
    [ "$(counts)" = "$before" ] ||
        sk_fail "$what: rows were stored: $before -> $(counts)"
}

# logged KIND WHAT: the last "bad request" log line names KIND (a fixed
# keyword, never a value).
logged() {
    local line
    line=$(grep -F "bad request" "$SK_LOG" | tail -n 1)
    sk_contains "$line" "channel=demo bad request: $1" "$2: the log line"
}

# One good message first, so the tables exist and a session is waiting.
code=$(sk_http "$WORK/ok" -d from=+254700000009 -d text=hi -d id=ok1 \
    "$SK_URL$RECEIVE")
[ "$code" = 200 ] || sk_fail "a good message got HTTP $code"

refused 400 "broken JSON" -H 'Content-Type: application/json' \
    --data-binary '{"from": "+254700000009", "text": "1", "id": ' \
    "$SK_URL$RECEIVE"
logged bad_json "broken JSON"
refused 400 "JSON that is not an object" -H 'Content-Type: application/json' \
    --data-binary '["+254700000009", "1"]' "$SK_URL$RECEIVE"

# 100 KiB, beyond the default max_body of 64 KiB.
head -c 102400 /dev/zero | tr '\0' 'a' >"$WORK/big"
refused 413 "oversize body" --data-urlencode "text@$WORK/big" \
    -d from=+254700000009 -d id=big1 "$SK_URL$RECEIVE"

refused 400 "missing from" -d text=1 -d id=nofrom1 "$SK_URL$RECEIVE"
logged missing_field "missing from"
refused 400 "missing id" -d from=+254700000009 -d text=1 "$SK_URL$RECEIVE"
refused 400 "missing from (JSON)" -H 'Content-Type: application/json' \
    --data-binary '{"text": "1", "id": "nofrom2"}' "$SK_URL$RECEIVE"
refused 400 "missing id (JSON)" -H 'Content-Type: application/json' \
    --data-binary '{"from": "+254700000009", "text": "1"}' "$SK_URL$RECEIVE"

refused 400 "invalid UTF-8 (form)" -d from=+254700000009 \
    -d 'text=caf%C3%28%FF%FE' -d id=utf1 "$SK_URL$RECEIVE"
logged bad_utf8 "invalid UTF-8 (form)"
printf '{"from": "+254700000009", "text": "caf\xc3\x28\xff", "id": "utf2"}' \
    >"$WORK/badutf8.json"
refused 400 "invalid UTF-8 (JSON)" -H 'Content-Type: application/json' \
    --data-binary "@$WORK/badutf8.json" "$SK_URL$RECEIVE"
logged bad_utf8 "invalid UTF-8 (JSON)"
refused 400 "a from too long" -d "from=+$(printf '%0300d' 7)" -d text=1 \
    -d id=long1 "$SK_URL$RECEIVE"
logged too_long "a from too long"
refused 400 "not a phone number" -d from=+25470000abcd -d text=1 \
    -d id=nophone1 "$SK_URL$RECEIVE"
logged not_phone_number "not a phone number"
if grep -F "bad request" "$SK_LOG" | grep -qE '25470000|caf|nofrom|utf[12]'
then
    sk_fail "a bad request log line quotes a value"
fi

refused 403 "wrong secret" -d from=+254700000009 -d text=1 -d id=sec1 \
    "$SK_URL/c/demo/receive?secret=not-$SECRET"
refused 403 "missing secret" -d from=+254700000009 -d text=1 -d id=sec2 \
    "$SK_URL/c/demo/receive"
refused 404 "unknown channel" -d from=+254700000009 -d text=1 -d id=ch1 \
    "$SK_URL/c/nosuchchannel/receive?secret=$SECRET"

# The waiting session was not disturbed: the next good message goes on.
code=$(sk_http "$WORK/ok2" -d from=+254700000009 -d text=1 -d id=ok2 \
    "$SK_URL$RECEIVE")
[ "$code" = 200 ] || sk_fail "a good message after the bad ones got HTTP $code"
sk_contains "$(jq -r '.messages | join("\n")' "$WORK/ok2")" \
    "How safe do you feel" "the reply after the bad requests"
sk_stop

# --- a flow with a dangling exit ---------------------------------------
sk_bin flow check "$SK_SOURCE_DIR"/flows/examples/*.json ||
    sk_fail "sikiliza flow check rejects the example flows"

BROKEN=$WORK/dangling.json
cat >"$BROKEN" <<'EOF'
{
  "uuid": "5d2c6a3e-2f0b-4c55-9d8e-3f1a7b9c0d11",
  "name": "Dangling Exit",
  "spec_version": "13.5.0",
  "language": "eng",
  "type": "messaging",
  "nodes": [
    {
      "uuid": "8b0f2e7d-6c1a-4d3b-a9e5-2c4f6a8b0d22",
      "actions": [
        {
          "uuid": "1e9d8c7b-5a4f-4e3d-b2c1-0f9e8d7c6b33",
          "type": "send_msg",
          "text": "Hello"
        }
      ],
      "exits": [
        {
          "uuid": "4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c44",
          "destination_uuid": "9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e55"
        }
      ]
    }
  ]
}
EOF
rc=0
sk_bin flow check "$BROKEN" >"$WORK/check.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || sk_fail "flow check on a dangling exit: exit $rc, not 1"
line=$(grep -F -- "$BROKEN" "$WORK/check.out" |
    grep -F -- 'flow "Dangling Exit"' | grep -F -- "node" | head -n 1 || true)
[ -n "$line" ] ||
    sk_fail "flow check names no file, flow and node: $(cat "$WORK/check.out")"

# --- configs with an unknown key, an unknown section --------------------
BADCONF=$WORK/bad.conf
printf '[server]\nlisten = 127.0.0.1:%s\nno_such_key = 1\n' "$(sk_free_port)" \
    >"$BADCONF"
rc=0
sk_bin serve -c "$BADCONF" >"$WORK/bad.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || sk_fail "serve with an unknown key: exit $rc, not 1"
grep -qF -- "$BADCONF:3:" "$WORK/bad.out" ||
    sk_fail "serve with an unknown key does not say \"$BADCONF:3:\": $(cat "$WORK/bad.out")"

printf '[server]\nlisten = 127.0.0.1:%s\n\n[nonsense]\nx = 1\n' \
    "$(sk_free_port)" >"$BADCONF"
rc=0
sk_bin serve -c "$BADCONF" >"$WORK/bad.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || sk_fail "serve with an unknown section: exit $rc, not 1"
# The section header (line 4) or its first key (line 5) may be named.
grep -qF -e "$BADCONF:4:" -e "$BADCONF:5:" "$WORK/bad.out" ||
    sk_fail "serve with an unknown section does not say \"$BADCONF:4:\": $(cat "$WORK/bad.out")"
sk_log "ok"
