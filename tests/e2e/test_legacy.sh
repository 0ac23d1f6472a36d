#!/usr/bin/env bash
# Legacy RapidPro exports load and run: a version 11 export (action sets,
# rule sets, old expressions such as @flow.age and @(UPPER(...)), French
# translations, a keyword trigger) and an older version 4 export that
# wraps its flows in "definition" (actions without uuids, plain-text
# categories, an =(...) expression, a flow started by its id) pass `sikiliza flow check` and run in
# `sikiliza simulate`, and the first is served by `sikiliza serve` (its
# keyword trigger starting it for a child); the old "+" (legacy_add) and
# time_delta filter run; a legacy flow that uses what
# the engine does not run (a group action, a webhook) is refused by the
# part's current name.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init legacy
sk_need_command flow
sk_need_command simulate

V11=$SK_SOURCE_DIR/tests/data/legacy_v11_export.json
V4=$SK_SOURCE_DIR/tests/data/legacy_v4_export.json
WORK=$SK_TMP

out=$(sk_bin flow check "$V11" "$V4" 2>&1) ||
    sk_fail "legacy exports fail the check: $out"
sk_contains "$out" "$V11: 1 flow ok" "the version 11 export"
sk_contains "$out" "$V4: 2 flows ok" "the wrapped version 4 export"

# The gateway serves the version 11 export from its flows directory: its
# keyword trigger starts the survey for a child texting on the generic
# channel, and the answers route as in the simulator.
sk_need_command serve keygen
GW=$SK_TMP/gw
mkdir -p "$GW/flows"
cp "$V11" "$GW/flows/"
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"
# no default flow: only the keyword starts it
sed -i "s|^dir = .*|dir = $GW/flows|; /^default = /d" "$SK_CONF"
sk_start
say() {
    local id=$1 text=$2 code
    code=$(sk_http "$WORK/$id.json" --data-urlencode "from=+254700000099" \
        --data-urlencode "text=$text" --data-urlencode "id=$id" \
        "$SK_URL/c/demo/receive?secret=$SECRET")
    [ "$code" = 200 ] || sk_fail "message $id: HTTP $code: $(cat "$WORK/$id.json")"
}
say m1 "school"
sk_contains "$(jq -r '.messages | join("\n")' "$WORK/m1.json")" \
    "This short survey is anonymous. How old are you?" "the keyword starts the legacy flow"
say m2 "12"
sk_contains "$(jq -r '.messages | join("\n")' "$WORK/m2.json")" \
    "Thank you. You are 12. Do you feel safe at school?" "the age answer"
say m3 "yes"
sk_contains "$(jq -r '.messages | join("\n")' "$WORK/m3.json")" \
    "Thank you for telling us (YES)." "the last answer"
sk_stop

# run NAME FILE [ARGS...] < script: simulate --jsonl into $WORK/NAME.jsonl.
run() {
    local name=$1 file=$2 rc=0
    shift 2
    sk_bin simulate "$file" --jsonl "$@" >"$WORK/$name.jsonl" \
        2>"$WORK/$name.err" || rc=$?
    [ "$rc" = 0 ] || sk_fail "$name: simulate exited $rc: $(cat "$WORK/$name.err")"
}

# has NAME JQ-FILTER WHAT: some event satisfies the filter.
has() {
    jq -e -s "any(.[]; $2)" "$WORK/$1.jsonl" >/dev/null ||
        sk_fail "$1: no event where $3: $(cat "$WORK/$1.jsonl")"
}

printf '12\nyes\n' | run v11 "$V11"
has v11 '.type == "msg_wait" and .timeout_seconds == 600' \
    "the wait has the legacy timeout rule's 10 minutes"
has v11 '.type == "run_result_changed" and .name == "Age" and .category == "Child"' \
    "12 is between 5 and 17"
has v11 '.type == "contact_field_changed" and .field.key == "age"' \
    "the save action sets the age field"
has v11 '.type == "msg_created" and .text == "Thank you. You are 12. Do you feel safe at school? Reply YES or NO"' \
    "@flow.age reads the result"
has v11 '.type == "msg_created" and .text == "Thank you for telling us (YES). Text HELP at any time."' \
    "@(UPPER(flow.safe.category)) is upper(results.safe.category_localized)"
has v11 '.type == "run_ended" and .status == "completed"' "the run completes"

printf '14\nnon\n' | run v11fra "$V11" --lang fra
has v11fra '.type == "msg_created" and (.text | startswith("Merci. Tu as 14 ans."))' \
    "the French translation"
has v11fra '.type == "msg_created" and (.text | contains("(NON)"))' \
    "the French category name"

printf '30\n' | run v11old "$V11"
has v11old '.type == "msg_created" and .text == "This survey is for ages 5 to 17. Thank you!"' \
    "the Other rule's destination"

printf 'yes\n' | run v4 "$V4" --flow "Water Point 2014"
has v4 '.type == "run_started" and .flow == "Water Point 2014"' \
    "the wrapper's name is the flow's"
has v4 '.type == "msg_created" and .text == "Thanks! You answered YES. Goodbye."' \
    "=(UPPER(step.value)) is upper(input)"
has v4 '.type == "msg_created" and .text == "Your answers help the water committee."' \
    "the flow named by its id in the export is started"

# The old "+" of a value whose type the migration cannot tell runs as
# legacy_add() (a number plus a number here), and the oldest time_delta
# filter as a date plus days.
jq '.flows[0].action_sets[1].actions[1].msg.eng =
    "Next year you will be @(flow.age + 1). See you on @date.today|time_delta:\"7\"."' \
    "$V11" >"$WORK/add.json"
out=$(sk_bin flow check "$WORK/add.json" 2>&1) ||
    sk_fail "legacy_add and time_delta fail the check: $out"
printf '12\nyes\n' | run add "$WORK/add.json"
has add '.type == "msg_created" and (.text | startswith("Next year you will be 13. See you on "))' \
    "@(flow.age + 1) is legacy_add(results.age, 1)"
has add '.type == "msg_created" and (.text | test("See you on [0-9]{2}-[0-9]{2}-[0-9]{4}[.]$"))' \
    "@date.today|time_delta:\"7\" is a date a week on"

# What the engine does not run is refused by its current name.
jq '.flows[0].action_sets[0].actions += [{"type": "add_group",
    "uuid": "0a0b0c0d-0e0f-4a1b-8c2d-3e4f5a6b7c8d",
    "groups": [{"uuid": "1a1b1c1d-1e1f-4a2b-8c3d-4e5f6a7b8c9d", "name": "Pupils"}]}]' \
    "$V11" >"$WORK/group.json"
rc=0
sk_bin flow check "$WORK/group.json" >"$WORK/group.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || sk_fail "a legacy group action: exit $rc, want 1: $(cat "$WORK/group.out")"
sk_contains "$(cat "$WORK/group.out")" \
    'action type "add_contact_groups" is not supported' "a legacy group action"

jq '.flows[0].rule_sets[1].ruleset_type = "webhook" |
    .flows[0].rule_sets[1].config = {"webhook": "http://example.org/hook", "webhook_action": "GET"} |
    .flows[0].rule_sets[1].rules = [{"uuid": "7f8a9b0c-1d2e-4f3a-8b4c-6d7e8f9a0b1c",
        "category": {"eng": "Success"}, "destination": null,
        "test": {"type": "webhook_status", "status": "success"}}]' \
    "$V11" >"$WORK/hook.json"
rc=0
sk_bin flow check "$WORK/hook.json" >"$WORK/hook.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || sk_fail "a legacy webhook: exit $rc, want 1: $(cat "$WORK/hook.out")"
sk_contains "$(cat "$WORK/hook.out")" \
    'action type "call_webhook" is not supported' "a legacy webhook"

sk_log "ok"
