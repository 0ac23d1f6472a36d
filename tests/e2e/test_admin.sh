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
# - /api/alerts lists a disclosure's alert as `sikiliza alerts` does;
#   /api/results/summary hides a small cell and the one that gives it
#   away; /api/export streams (chunked) CSV and JSONL as scrubbed as
#   `sikiliza export`, the webhooks answering while a slow client reads;
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
sed -i 's/^\[privacy\]$/&\nmin_cell = 3/' "$SK_CONF"
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

# child N SLEPT SCHOOL HELP: one child through the survey (as in
# test_export.sh), its free-text answers seeded with numbers and addresses.
child() {
    local n=$1 phone=+25470000010$1 i=0 t
    for t in hi 1 3 "$2" 3 "$3" yes 1 4 "$4"; do
        i=$((i + 1))
        say "$phone" "c$n-$i" "$t"
    done
    grep -q "Thank you for sharing" "$WORK/c$n-10.json" ||
        sk_fail "child $n did not reach the end: $(cat "$WORK/c$n-10.json")"
}
child 1 "I sleep at +254 712 345 678 zebrafruit" \
    "call 0712345678 quokkalantern" \
    '=HYPERLINK("https://evil.example/x?id=7","click") mangotree'
child 2 "ana.k@example.org cherrysun" "(020) 123-4567 lemonstar" \
    "www.example.net/chat pearfield"
SEEDS=("712 345 678" "712345678" "123-4567" "ana.k" "example.org"
    "evil.example" "example.net")
SAFE=(zebrafruit quokkalantern mangotree cherrysun lemonstar pearfield)
# A table with a small cell: 4 children say Happy, 1 says Sad.
for i in 1 2 3 4 5; do
    cat=Happy
    [ "$i" = 5 ] && cat=Sad
    sk_sql "INSERT INTO results (contact_key, flow_uuid, flow_name, name,
        value, category, input, created_at) VALUES ('k$i$(printf 'a%.0s' {1..40})',
        'u-tiny', 'Tiny Flow', 'Mood', '$cat', '$cat', '$cat',
        $(($(date +%s) * 1000)))"
done

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

# /api/alerts, as `sikiliza alerts` lists them: no text, no number.
say +254711$RANDOM$RANDOM d1 "my uncle hits me and I want to die"
code=$(admin_get "$WORK/alerts.json" /api/alerts "${AUTH[@]}")
[ "$code" = 200 ] || sk_fail "/api/alerts: HTTP $code"
jq -e '(.alerts | length == 1) and (.alerts[0].contact | test("^[0-9a-f]{8}$"))
       and (.alerts[0].category | length > 0) and
       (.alerts[0].id | type == "number")' "$WORK/alerts.json" >/dev/null ||
    sk_fail "/api/alerts: $(cat "$WORK/alerts.json")"
ref=$(jq -r '.alerts[0].contact' "$WORK/alerts.json")
sk_bin alerts -c "$SK_CONF" | grep -q "	$ref	" ||
    sk_fail "sikiliza alerts does not show alert $ref"
grep -qiE 'uncle|die' "$WORK/alerts.json" && sk_fail "/api/alerts holds text"

# /api/results/summary: the small cell and the one that would give it
# away are hidden.
code=$(admin_get "$WORK/sum.json" "/api/results/summary?flow=Tiny%20Flow" \
    "${AUTH[@]}")
[ "$code" = 200 ] || sk_fail "summary: HTTP $code: $(cat "$WORK/sum.json")"
jq -e '.min_cell == 3 and (.tables | length == 1) and
       (.tables[0].categories[] | select(.category == "Sad") | .count == null)
       and ([.tables[0].categories[].count, .tables[0].total] |
            map(select(. == null)) | length >= 2)
       and ([.. | numbers] - [3] | all(. == 0 or . >= 3))' \
    "$WORK/sum.json" >/dev/null ||
    sk_fail "summary not suppressed: $(cat "$WORK/sum.json")"
code=$(admin_get "$WORK/sum2.json" "/api/results/summary?flow=Wellbeing%20Check&by=Language" \
    "${AUTH[@]}")
[ "$code" = 200 ] || sk_fail "summary by: HTTP $code: $(cat "$WORK/sum2.json")"
jq -e '.by == "Language" and (.tables | length > 0)' "$WORK/sum2.json" \
    >/dev/null || sk_fail "summary by Language: $(cat "$WORK/sum2.json")"
code=$(admin_get "$WORK/sum3.json" /api/results/summary "${AUTH[@]}")
[ "$code" = 400 ] || sk_fail "summary without flow: HTTP $code"

# /api/export, streamed (chunked) and scrubbed like `sikiliza export`.
for fmt in csv jsonl; do
    code=$(admin_get "$WORK/export.$fmt" "/api/export?format=$fmt" \
        "${AUTH[@]}")
    [ "$code" = 200 ] || sk_fail "export $fmt: HTTP $code"
    grep -qi '^Transfer-Encoding: chunked' "$WORK/export.$fmt.headers" ||
        sk_fail "export $fmt is not chunked"
    for seed in "${SEEDS[@]}" "${NUMBER#+}"; do
        grep -qF -- "$seed" "$WORK/export.$fmt" &&
            sk_fail "export $fmt holds \"$seed\""
    done
    for word in "${SAFE[@]}"; do
        grep -qF -- "$word" "$WORK/export.$fmt" ||
            sk_fail "export $fmt lost \"$word\""
    done
done
grep -Eq '(^|,)"?[=+@-]' "$WORK/export.csv" &&
    sk_fail "a CSV cell starts a formula"
[ "$(wc -l <"$WORK/export.jsonl")" -ge 23 ] ||
    sk_fail "export jsonl: $(wc -l <"$WORK/export.jsonl") rows"
code=$(admin_get "$WORK/x" "/api/export?format=xml" "${AUTH[@]}")
[ "$code" = 400 ] || sk_fail "export format=xml: HTTP $code"
code=$(admin_get "$WORK/flowexp.csv" "/api/export?format=csv&flow=Tiny%20Flow&since=2020-01-01" \
    "${AUTH[@]}")
[ "$code" = 200 ] || sk_fail "export of one flow: HTTP $code"
grep -q Happy "$WORK/flowexp.csv" || sk_fail "export of Tiny Flow lacks it"
grep -q zebrafruit "$WORK/flowexp.csv" && sk_fail "export of Tiny Flow has more"

# The webhook listener answers while a slow client streams an export.
curl -sS --max-time 60 --limit-rate 1k -o "$WORK/slow.csv" "${AUTH[@]}" \
    "$ADMIN/api/export?format=csv" &
slow=$!
sleep 1
say "$NUMBER" m4 "hello again"
kill -0 "$slow" 2>/dev/null || sk_fail "the slow export ended too soon"
sk_alive
wait "$slow" || sk_fail "the slow export failed"
cmp -s "$WORK/slow.csv" "$WORK/export.csv" && sk_fail "two exports, one pseudonym key"
[ "$(wc -l <"$WORK/slow.csv")" = "$(wc -l <"$WORK/export.csv")" ] ||
    sk_fail "the slow export is not whole"
# A client that goes away in the middle of an export.
curl -sS --max-time 1 --limit-rate 1k -o /dev/null "${AUTH[@]}" \
    "$ADMIN/api/export?format=jsonl" || true

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
# 7 flows, 1 alerts, 2 summaries, 5 exports, 1 audit
[ "$n" = 16 ] || sk_fail "sikiliza audit shows $n admin calls, want 16: $out"
grep -q "admin:$HASH	/api/export	csv flow=Tiny Flow since=2020-01-01" \
    <<<"$out" || sk_fail "the export's audit row lacks its subject: $out"
case $out in *"$TOKEN"*) sk_fail "the audit log holds the token" ;; esac
code=$(admin_get "$WORK/since.json" "/api/audit?since=abc" "${AUTH[@]}")
[ "$code" = 400 ] || sk_fail "/api/audit?since=abc: HTTP $code"

# Clients that go away in the middle of a long export free their stream:
# more exports than may run at once still get through afterwards.
sk_sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
        WHERE i < 20000) INSERT INTO results (contact_key, flow_uuid,
        flow_name, name, value, category, input, created_at)
        SELECT 'b' || i, 'u-big', 'Big Flow', 'Word', 'word ' || i, 'Other',
        'word ' || i, $(($(date +%s) * 1000)) FROM n"
for i in 1 2 3; do
    curl -sS --max-time 1 --limit-rate 20k -o /dev/null "${AUTH[@]}" \
        "$ADMIN/api/export?format=jsonl&flow=Big%20Flow" 2>/dev/null || true
done
# The streams are freed when the gateway sees each client gone, which
# takes longer on a loaded machine: wait for it, up to 30 s.
for i in 1 2 3; do
    for _ in $(seq 1 60); do
        code=$(admin_get "$WORK/after$i" \
            "/api/export?format=csv&flow=Tiny%20Flow" "${AUTH[@]}")
        [ "$code" = 503 ] || break
        sleep 0.5
    done
    [ "$code" = 200 ] || sk_fail "export after clients went away: HTTP $code"
done
sk_alive

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
ls -a "$GW" | grep -q 'admin-' && sk_fail "an export left its file behind"

grep -qF -- "$TOKEN" "$SK_LOG" && sk_fail "the log holds the token"
grep -qF -- "${NUMBER#+}" "$SK_LOG" && sk_fail "the log holds the number"
sk_log "ok"
