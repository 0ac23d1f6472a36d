#!/usr/bin/env bash
# `sikiliza export`: children answer the example survey through the real
# gateway, their answers seeded with phone numbers in many forms, e-mail
# addresses, URLs and formula-like cells. Exported beside the running
# gateway in every format, no seeded number, address or URL survives in
# any byte of any output (the XLSX unzipped), no CSV or XLSX cell starts a
# formula, every seeded safe word does survive, and each export wrote an
# audit row. Usage errors, an existing OUT and the summary's suppression
# are checked too.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init export
sk_need_command serve keygen export audit
command -v unzip >/dev/null 2>&1 ||
    sk_skip "unzip is not installed (run deploy/install-deps)"

GW=$SK_TMP/gw
WORK=$SK_TMP/work
OUT=$SK_TMP/out
mkdir -p "$GW" "$WORK" "$OUT"
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"
# small groups are those under 3 here
sed -i 's/^\[privacy\]$/&\nmin_cell = 3/' "$SK_CONF"
grep -q '^min_cell = 3$' "$SK_CONF" || sk_fail "could not set min_cell"
sk_start

# Values that must not survive, as typed by children.
SEEDS=(
    "+254 712 345 678"
    "0712345678"
    "254712345678"
    "(020) 123-4567"
    "0712.345.678"
    "0712-345-678"
    "ana.k@example.org"
    "kid_2010@mail.example.co.ke"
    "https://evil.example/x?id=7"
    "www.example.net/chat"
    "example.org/x"
)
# Pieces of them that must not survive either.
PIECES=(
    "712 345 678" "712345678" "123-4567" "345.678" "345-678"
    "ana.k" "kid_2010" "example.org" "example.co.ke" "evil.example"
    "example.net" "@example" "www.example" "/chat" "id=7"
)

# say FROM ID TEXT: posts an inbound SMS; the reply is in $WORK/ID.json.
say() {
    local code
    code=$(sk_http "$WORK/$2.json" \
        --data-urlencode "from=$1" --data-urlencode "text=$3" \
        --data-urlencode "id=$2" \
        "$SK_URL/c/demo/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "message $2: HTTP $code"
}

# child N SLEPT SCHOOL HELP: one child through the survey; SLEPT and
# SCHOOL are free-text answers (stored, then asked again), HELP the last.
child() {
    local n=$1 phone=+25470000010$1
    say "$phone" "c$n-1" "hi"
    say "$phone" "c$n-2" "1"
    say "$phone" "c$n-3" "3"
    say "$phone" "c$n-4" "$2"
    say "$phone" "c$n-5" "3"
    say "$phone" "c$n-6" "$3"
    say "$phone" "c$n-7" "yes"
    say "$phone" "c$n-8" "1"
    say "$phone" "c$n-9" "4"
    say "$phone" "c$n-10" "$4"
    grep -q "Thank you for sharing" "$WORK/c$n-10.json" ||
        sk_fail "child $n did not reach the end: $(cat "$WORK/c$n-10.json")"
}

child 1 "I sleep at +254 712 345 678 zebrafruit" \
    "call 0712345678 quokkalantern" \
    '=HYPERLINK("https://evil.example/x?id=7","click") mangotree'
child 2 "254712345678 kiwiriver" "(020) 123-4567 lemonstar" \
    "+1 papayamoon"
child 3 "0712.345.678 figcloud" "0712-345-678 plumwind" \
    "@SUM(A1:A3) guavasea"
child 4 "ana.k@example.org cherrysun" "kid_2010@mail.example.co.ke limehill" \
    "-2+3 datepalm"
child 5 "https://evil.example/x?id=7 olivebrook" \
    "www.example.net/chat pearfield" "example.org/x melonrain"
SAFE=(zebrafruit quokkalantern mangotree kiwiriver lemonstar papayamoon
    figcloud plumwind guavasea cherrysun limehill datepalm olivebrook
    pearfield melonrain)

[ "$(sk_count results)" = 45 ] ||
    sk_fail "expected 45 results (9 a child), found $(sk_count results)"
# the new columns are filled
[ "$(sk_sql "SELECT count(*) FROM results
    WHERE json_extract(meta, '$.language') = 'eng'
    AND json_extract(meta, '$.channel_type') = 'generic'
    AND json_extract(meta, '$.flow_revision') = 1")" = 45 ] ||
    sk_fail "results lack language, channel type or revision"

# An answer stored before language, channel type and revision were kept
# (schema 2) is exported with those fields empty. It is from yesterday
# noon (UTC), inside the retention period: serve's daily purge, which runs
# soon after start, must not take it while the test counts.
OLD_DAY=$(date -u -d yesterday +%Y-%m-%d)
OLD_MS=$(($(date -u -d "$OLD_DAY 12:00:00" +%s) * 1000))
sk_sql "INSERT INTO results (contact_key, flow_uuid, flow_name, name, value,
    category, input, created_at) VALUES ('$(printf 'ab%.0s' {1..32})',
    'u-old', 'Old Flow', 'Old Result', 'hello 0712345678 appletree', 'Other',
    'hello 0712345678 appletree', $OLD_MS)"

# --- usage and refusals ------------------------------------------------
rc=0
sk_bin export -c "$SK_CONF" -o "$OUT/x.csv" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "export without --format: exit $rc, want 2"
rc=0
sk_bin export -c "$SK_CONF" --format pdf -o "$OUT/x" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "export --format pdf: exit $rc, want 2"
rc=0
sk_bin export -c "$SK_CONF" --format floip -o "$OUT/x" >/dev/null 2>&1 ||
    rc=$?
[ "$rc" = 2 ] || sk_fail "floip without --flow: exit $rc, want 2"
rc=0
sk_bin export -c "$SK_CONF" --format csv --since 2026-02-30 -o "$OUT/x" \
    >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "--since 2026-02-30: exit $rc, want 2"
sk_bin export --help | grep -q 'usage: sikiliza export' ||
    sk_fail "export --help does not show its usage"
[ "$(sk_sql "SELECT count(*) FROM audit WHERE action = 'export';")" = 0 ] || sk_fail "refused exports were audited"

# --- every format, beside the running gateway --------------------------
sk_bin export -c "$SK_CONF" --format csv --bom -o "$OUT/a.csv" >/dev/null ||
    sk_fail "csv export failed"
sk_bin export -c "$SK_CONF" --format xlsx --by Language \
    -o "$OUT/a.xlsx" >/dev/null || sk_fail "xlsx export failed"
sk_bin export -c "$SK_CONF" --format jsonl -o "$OUT/a.jsonl" >/dev/null ||
    sk_fail "jsonl export failed"
sk_bin export -c "$SK_CONF" --format floip --flow "Wellbeing Check" \
    -o "$OUT/a.floip" >/dev/null || sk_fail "floip export failed"
sk_bin export -c "$SK_CONF" --format summary -o "$OUT/a.summary.csv" \
    >/dev/null || sk_fail "summary export failed"
sk_bin export -c "$SK_CONF" --format csv --stable-ids "follow-up study" \
    -o "$OUT/s1.csv" >/dev/null || sk_fail "stable-ids export failed"
sk_bin export -c "$SK_CONF" --format csv --stable-ids "follow-up study" \
    -o "$OUT/s2.csv" >/dev/null || sk_fail "second stable-ids export failed"
sk_alive

# An existing OUT is never replaced.
cp "$OUT/a.jsonl" "$WORK/jsonl.before"
rc=0
sk_bin export -c "$SK_CONF" --format jsonl -o "$OUT/a.jsonl" \
    >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" = 1 ] || sk_fail "export over an existing file: exit $rc, want 1"
grep -q "refusing to overwrite" "$WORK/err" ||
    sk_fail "no word on the existing file: $(cat "$WORK/err")"
cmp -s "$OUT/a.jsonl" "$WORK/jsonl.before" || sk_fail "OUT was changed"
# and no temporary file is left behind
ls "$OUT" | grep -q 'tmp-' && sk_fail "a temporary file was left: $(ls "$OUT")"

# Only the owner may read what was written.
for f in a.csv a.xlsx a.jsonl a.summary.csv; do
    [ "$(stat -c %a "$OUT/$f")" = 600 ] ||
        sk_fail "$f has mode $(stat -c %a "$OUT/$f"), want 600"
done
[ "$(stat -c %a "$OUT/a.floip")" = 700 ] ||
    sk_fail "the FLOIP directory has mode $(stat -c %a "$OUT/a.floip")"

# --- what the outputs hold ---------------------------------------------
unzip -p "$OUT/a.xlsx" >"$WORK/xlsx.xml" || sk_fail "the xlsx is not a zip"
cat "$OUT/a.floip/datapackage.json" "$OUT/a.floip/responses.json" \
    >"$WORK/floip.json"
ALL=("$OUT/a.csv" "$WORK/xlsx.xml" "$OUT/a.jsonl" "$WORK/floip.json")
for f in "${ALL[@]}" "$OUT/a.summary.csv"; do
    for s in "${SEEDS[@]}" "${PIECES[@]}"; do
        if grep -qaF -- "$s" "$f"; then
            sk_fail "\"$s\" survived in $f: $(grep -aF -- "$s" "$f" | head -3)"
        fi
    done
done
for f in "${ALL[@]}"; do
    for w in "${SAFE[@]}"; do
        grep -qaF -- "$w" "$f" || sk_fail "safe word \"$w\" is missing in $f"
    done
done

# No CSV field and no XLSX cell starts a formula; the seeded ones are
# there, neutralised. (Fields are checked at the start of a line and after
# each comma, quoted or not.)
if grep -qaE '(^|,)"?[=+@-]' "$OUT/a.csv"; then
    sk_fail "a CSV field starts a formula: $(grep -aE '(^|,)"?[=+@-]' \
        "$OUT/a.csv" | head -3)"
fi
for f in "'=HYPERLINK(" "'+1 papayamoon" "'-2+3 datepalm"; do
    grep -qaF -- "$f" "$OUT/a.csv" || sk_fail "no neutralised \"$f\" in the CSV"
done
if grep -qaE '<t[^>]*>[=+@-]' "$WORK/xlsx.xml"; then
    sk_fail "an XLSX cell starts a formula"
fi
grep -qa '<f>' "$WORK/xlsx.xml" && sk_fail "the XLSX holds a formula"
grep -qaF "'=HYPERLINK(" "$WORK/xlsx.xml" ||
    sk_fail "no neutralised HYPERLINK in the XLSX"

# CSV: BOM, header, CRLF, a pseudonym and never the contact key.
head -c 3 "$OUT/a.csv" | od -An -tx1 | grep -q 'ef bb bf' ||
    sk_fail "the CSV has no BOM"
head -n 1 "$OUT/a.csv" | tr -d '\r' | sed 's/^\xef\xbb\xbf//' |
    grep -qx 'contact,flow,flow_revision,result,category,value,input,date,language,channel' ||
    sk_fail "unexpected CSV header: $(head -n 1 "$OUT/a.csv")"
grep -q $'\r$' "$OUT/a.csv" || sk_fail "CSV lines do not end in CRLF"
for key in $(sk_sql "SELECT DISTINCT contact_key FROM results"); do
    for f in "${ALL[@]}" "$OUT/s1.csv"; do
        if grep -qaF -- "${key:0:16}" "$f"; then
            sk_fail "a contact key is in $f"
        fi
    done
done
grep -q $',Old Flow,,Old Result,Other,hello \\[phone\\] appletree,hello \\[phone\\] appletree,'"$OLD_DAY"$',,\r$' \
    "$OUT/a.csv" || sk_fail "the old answer is not exported with empty fields"
today=$(date -u +%F)
grep -q ",Wellbeing Check,1,Feel Safe,Not Very Safe,3,3,$today,eng,generic" \
    "$OUT/a.csv" || sk_fail "no full row in the CSV: $(sed -n 2p "$OUT/a.csv")"

# Pseudonyms: new for every export, stable with --stable-ids.
ids() { tail -n +2 "$1" | cut -d, -f1 | sed 's/^\xef\xbb\xbf//' | sort -u; }
[ "$(ids "$OUT/a.csv" | wc -l)" = 6 ] || sk_fail "not 6 pseudonyms in a.csv"
[ "$(ids "$OUT/s1.csv")" = "$(ids "$OUT/s2.csv")" ] ||
    sk_fail "--stable-ids gave other pseudonyms the second time"
[ -z "$(comm -12 <(ids "$OUT/a.csv") <(ids "$OUT/s1.csv"))" ] ||
    sk_fail "a fresh export shares pseudonyms with a stable one"

# JSONL: one object per answer.
[ "$(wc -l <"$OUT/a.jsonl")" = "$(sk_count results)" ] ||
    sk_fail "JSONL lines differ from the number of answers"
jq -e -s 'all(.[] | select(.flow == "Wellbeing Check");
    (.contact | test("^[0-9a-f]{16}$")) and .flow_revision == 1
    and .language == "eng" and .channel == "generic")' "$OUT/a.jsonl" \
    >/dev/null || sk_fail "unexpected JSONL rows: $(head -n 1 "$OUT/a.jsonl")"

# FLOIP: the descriptor and 7-column rows naming its questions.
jq -e '.profile == "flow-results-package" and
    (.resources | length) == 1 and
    .resources[0].profile == "flow-results-data" and
    .resources[0].path == "responses.json" and
    (.resources[0].schema.fields | map(.name)) == ["timestamp", "row_id",
        "contact_id", "session_id", "question_id", "response",
        "response_metadata"] and
    (.resources[0].schema.questions.feel_safe.type_options.choices |
        index("Not Very Safe")) != null' \
    "$OUT/a.floip/datapackage.json" >/dev/null ||
    sk_fail "unexpected datapackage.json: $(cat "$OUT/a.floip/datapackage.json")"
jq -e --slurpfile d "$OUT/a.floip/datapackage.json" \
    'all(.[]; length == 7 and
        ($d[0].resources[0].schema.questions[.[4]] != null))' \
    "$OUT/a.floip/responses.json" >/dev/null ||
    sk_fail "unexpected FLOIP responses"

# Summary: min_cell is 3 here. Five children each gave Feel Safe "Not
# Very Safe": shown. Language: all five English.
grep -q '^Wellbeing Check,Feel Safe,Not Very Safe,5' "$OUT/a.summary.csv" ||
    sk_fail "no Feel Safe count: $(cat "$OUT/a.summary.csv")"
grep -q '^Wellbeing Check,Feel Safe,(total),5' "$OUT/a.summary.csv" ||
    sk_fail "no Feel Safe total"
# The XLSX has a summary sheet, broken down by Language.
grep -qa 'Summary' "$WORK/xlsx.xml" || sk_fail "no summary sheet"

# A small group: two more children give Feel Safe "Not safe at all" (2 <
# min_cell 3): that count and its complement are suppressed, the total
# is shown, and nothing lets the 2 be worked out.
for n in 6 7; do
    say "+25470000020$n" "d$n-1" "hi"
    say "+25470000020$n" "d$n-2" "1"
    say "+25470000020$n" "d$n-3" "4"
done
sk_bin export -c "$SK_CONF" --format summary -o "$OUT/b.summary.csv" \
    >/dev/null || sk_fail "second summary failed"
grep -q '^Wellbeing Check,Feel Safe,Not Safe,suppressed' \
    "$OUT/b.summary.csv" ||
    sk_fail "a count of 2 was not suppressed: $(cat "$OUT/b.summary.csv")"
grep -q '^Wellbeing Check,Feel Safe,Not Very Safe,suppressed' \
    "$OUT/b.summary.csv" || sk_fail "the complement was not suppressed"
grep -q '^Wellbeing Check,Feel Safe,(total),7' "$OUT/b.summary.csv" ||
    sk_fail "the total is not shown"

# --- the audit log -----------------------------------------------------
out=$(sk_bin audit -c "$SK_CONF") || sk_fail "audit failed"
[ "$(grep -c $'\texport\t' <<<"$out")" = 8 ] ||
    sk_fail "expected 8 export audit rows: $out"
grep -q $'\tcli:[^\t]*\texport\tfloip flow=Wellbeing Check\t$' <<<"$out" ||
    sk_fail "no audit row for the floip export: $out"
grep -q $'\texport\tcsv stable-ids\tfollow-up study$' <<<"$out" ||
    sk_fail "the --stable-ids reason is not audited: $out"
grep -q $'\texport\txlsx by=Language\t$' <<<"$out" ||
    sk_fail "no audit row for the xlsx export: $out"

# Nothing a child typed is in the gateway's log.
for w in "${SAFE[@]}"; do
    grep -qF -- "$w" "$SK_LOG" && sk_fail "\"$w\" is in the gateway log"
done
sk_alive
sk_stop
sk_log "ok"
