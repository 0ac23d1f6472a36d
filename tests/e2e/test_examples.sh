#!/usr/bin/env bash
# The example flows in flows/examples are what a deployment starts from, so
# they are held to the survey rules: every message fits in two SMS
# segments; every wait has a timeout, a result name and an "Other"
# category; no exit points nowhere; uuids are unique; keyword triggers
# start flows of the file. Then `sikiliza flow check` must accept them.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
SK_TEST_NAME=examples
command -v jq >/dev/null 2>&1 || sk_skip "jq is not installed"
if [ -z "${SK_SOURCE_DIR:-}" ] || [ ! -d "$SK_SOURCE_DIR" ]; then
    sk_skip "SK_SOURCE_DIR is not set"
fi
HERE=$(dirname "$0")

# Problems with a flow file, one a line (nothing when it is fine).
# shellcheck disable=SC2016 # a jq program, not shell
RULES='
def flows: if has("flows") then .flows[] else . end;
def fid: "flow \"\(.name)\"";
(flows | . as $f | fid as $fid
 | ([.nodes[].uuid]) as $ids
 | (.nodes[] | .uuid as $n
    | (.exits[] | select(.destination_uuid != null
                         and (.destination_uuid as $d | $ids | index($d) | not))
       | "\($fid): node \($n): exit \(.uuid) points to a missing node"),
      (select(.router.wait != null) | .router as $r
       | (select(($r.result_name // "") == "")
          | "\($fid): node \($n): wait without a result name"),
         (select($r.wait.timeout.seconds == null)
          | "\($fid): node \($n): wait without a timeout"),
         (select(($r.wait.timeout.seconds // 600)
                 < (if $f.type == "voice" then 5 else 60 end)
                 or ($r.wait.timeout.seconds // 600) > 86400)
          | "\($fid): node \($n): timeout \($r.wait.timeout.seconds) s is unreasonable"),
         (select([($r.categories // [])[] | select(.uuid == $r.default_category_uuid)
                  | .name] != ["Other"])
          | "\($fid): node \($n): the default category is not \"Other\""))),
   (select((.expire_after_minutes // 0) <= 0)
    | "\($fid): no expire_after_minutes")),
([flows | .. | objects | select(has("uuid") and (has("name") | not)
                                or has("actions") or has("exit_uuid"))
  | .uuid] | group_by(.) | map(select(length > 1))[]
 | "uuid \(.[0]) is used more than once"),
([flows | .uuid, .name]) as $known
| ((.triggers // [])[] | select(.flow.uuid as $u | $known | index($u) | not)
   | "trigger \(.keywords // .keyword) starts an unknown flow")
'

n=0
for f in "$SK_SOURCE_DIR"/flows/examples/*.json; do
    n=$((n + 1))
    jq -e . "$f" >/dev/null 2>&1 || sk_fail "$f is not valid JSON"
    problems=$(jq -r "$RULES" "$f") || sk_fail "cannot check $f"
    [ -z "$problems" ] || sk_fail "$f: $problems"
    long=$(jq -c -f "$HERE/sms_segments.jq" "$f" |
        jq -r 'select(.segments > 2)
               | "\(.flow) [\(.lang)] \(.segments) segments: \(.text)"') ||
        sk_fail "cannot count the SMS segments of $f"
    [ -z "$long" ] || sk_fail "$f: messages longer than two SMS: $long"
done
[ "$n" -gt 0 ] || sk_fail "no example flows in flows/examples"

# The engine's own validation, once the command line exists.
help=$(timeout -k 5 30 "$SK_BIN" --help 2>&1) || true
if [ -z "$help" ]; then
    sk_skip "the rules hold; sikiliza flow check is not built yet"
fi
out=$(sk_bin flow check "$SK_SOURCE_DIR"/flows/examples/*.json 2>&1) ||
    sk_fail "sikiliza flow check rejects the examples: $out"
sk_log "ok"
