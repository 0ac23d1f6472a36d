#!/usr/bin/env bash
# `sikiliza flow check` catches what children would see: the Wellbeing
# Check example broken one way at a time (a misspelt @input.txt, a
# syntax error in a message, a router test with one argument too few, an
# unknown function, prompt(), a result and a contact field nothing
# saves), each refused with exit 1 and a line that names the file, the
# flow and the node as the editor shows it; a missing French text is a
# warning with a count and where, and the flow still passes (exit 0).
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init flowcheck
sk_need_command flow

FLOW=$SK_SOURCE_DIR/flows/examples/wellbeing_check.json
WORK=$SK_TMP
SAFE=09d07010-f03b-40ec-8880-35be47df7d0c # "How safe do you feel ..."
NODE="node \"How safe do you feel...\" (uuid $SAFE)"

# The examples pass with no error and no warning.
out=$(sk_bin flow check "$SK_SOURCE_DIR/flows/examples" 2>&1) ||
    sk_fail "the examples fail the check: $out"
case $out in
*WARNING*) sk_fail "the examples get a warning: $out" ;;
esac

# broken NAME JQ-EDIT WANT: the example edited by JQ-EDIT (on the "How safe"
# node as $n) is refused with WANT on the line naming file, flow and node.
broken() {
    local name=$1 edit=$2 want=$3 rc=0 line
    jq --arg n "$SAFE" ".flows[0].nodes |= map(if .uuid == \$n then $edit else . end)" \
        "$FLOW" >"$WORK/$name.json"
    sk_bin flow check "$WORK/$name.json" >"$WORK/$name.out" 2>&1 || rc=$?
    [ "$rc" = 1 ] || sk_fail "$name: exit $rc, want 1: $(cat "$WORK/$name.out")"
    line="$WORK/$name.json: flow \"Wellbeing Check\": $NODE: $want"
    grep -qF -- "$line" "$WORK/$name.out" ||
        sk_fail "$name: no line \"$line\" in: $(cat "$WORK/$name.out")"
}

broken input_txt '.router.operand = "@input.txt"' \
    'router operand: @input.txt does not exist (input has text,'
broken syntax '.actions[0].text += " You said @(results.age + )"' \
    'message: syntax error at end of input in "@(results.age + )"'
broken between '.router.cases[1].type = "has_number_between" |
    .router.cases[1].arguments = ["5"]' \
    'case 2: has_number_between takes 2 arguments, not 1'
broken unknown '.actions[0].text += " @(uper(\"x\"))"' \
    'message: unknown function uper()'
broken prompt '.actions[0].text += " @(prompt(\"be kind\"))"' \
    'message: function prompt (a call to a language model) is not supported'
broken result '.actions[0].text += " You are @results.age"' \
    'message: @results.age: no node in this flow saves a result named "age"'
broken field '.actions[0].text += " @fields.nickname"' \
    'message: @fields.nickname: no contact field "nickname" is set or declared'

# A missing French text: a warning with the count and the node; exit 0.
jq --arg n "$SAFE" '(.flows[0].nodes[] | select(.uuid == $n) | .actions[0].uuid) as $a
    | del(.flows[0].localization.fra[$a])' "$FLOW" >"$WORK/nofra.json"
rc=0
sk_bin flow check "$WORK/nofra.json" >"$WORK/nofra.out" 2>&1 || rc=$?
[ "$rc" = 0 ] || sk_fail "a missing translation: exit $rc, want 0: $(cat "$WORK/nofra.out")"
sk_contains "$(cat "$WORK/nofra.out")" \
    "$WORK/nofra.json: flow \"Wellbeing Check\": WARNING: fra: 1 of 21 messages lack a translation ($NODE)" \
    "a missing French text"
sk_contains "$(cat "$WORK/nofra.out")" "$WORK/nofra.json: 1 flow ok" \
    "a flow with a missing translation still passes"

sk_log "ok"
