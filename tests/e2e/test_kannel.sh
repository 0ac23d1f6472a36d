#!/usr/bin/env bash
#
# The Kannel channel end to end, with real Kannel: bearerbox and smsbox
# (tests/e2e/kannel_lib.sh) in front of the real `sikiliza serve`, the
# phones played by sk-phone on bearerbox's fake SMSC.
#
# Fifty children, each from their own number and all at once, take the
# whole Wellbeing Check survey in English, French or Arabic: each starts
# with the flow's keyword in their language, and sends their next answer
# only once the previous question has arrived. Their messages reach the
# gateway through smsbox's post-url; every reply leaves through the outbox
# and smsbox's sendsms. Midway bearerbox is restarted: the children
# re-send nothing, yet every survey completes, every child gets exactly
# the messages the flow sends (as `sikiliza simulate` shows them), in
# order and once. Then: no outbox row is left unsent, delivery reports
# came back by row id, the gateway's log holds no number and no answer,
# and SIGTERM ends the gateway cleanly.
#
# Skips (77) without Kannel (Debian's kannel); needs SK_PHONE.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib.sh
. "$here/lib.sh"
# shellcheck source=tests/e2e/kannel_lib.sh
. "$here/kannel_lib.sh"

SK_TEST_NAME=kannel
if ! kannel_available; then
    sk_skip "Kannel is not installed (apt-get install kannel)"
fi
if [[ ! -x ${SK_PHONE:-} ]]; then
    sk_skip "SK_PHONE does not name the built sk-phone (run through ctest)"
fi
sk_init kannel

phone_pid=
phone_fd=

cleanup()
{
    local rc=$?
    set +e
    if [[ -n $phone_fd ]]; then
        exec {phone_fd}>&-
    fi
    if [[ -n $phone_pid ]]; then
        kill "$phone_pid" 2>/dev/null
        wait "$phone_pid" 2>/dev/null
    fi
    kannel_stop
    if ((rc != 0)); then
        kannel_dump_logs
        tail -n 20 "$SK_TMP/phone.err" >&2 2>/dev/null
    fi
    (exit "$rc")
    sk_cleanup
}
trap cleanup EXIT

CHILDREN=50
SHORT=1234
DEADLINE=60 # seconds for all surveys (they take about ten)

# What each language's child sends: the keyword, then the answers.
declare -A script
script[eng]=$'hi\n1\n1\n2\n1\n2\n1\nmore books please'
script[fra]=$'bonjour\n2\n1\n1\n2\n2\n1\ndes livres et un stylo'
script[ara]=$'مرحبا\n٣\n١\n٢\n١\n٢\n٣\nكتب ودفاتر'
langs=(eng fra ara)
steps=8

# --- what the flow sends, from the simulator ------------------------------
# exp/LANG: every message of the survey, one a line, escaped as sk-phone
# prints them; cum[LANG,K]: how many messages have arrived once the reply to
# the K-th message of the script (0-based) is complete.
flow=$SK_SOURCE_DIR/flows/examples/wellbeing_check.json
mkdir -p "$SK_TMP/exp"
declare -A cum
escape='.text | gsub("\\\\"; "\\\\") | gsub("\n"; "\\n") | gsub("\r"; "\\r")
        | gsub("\t"; "\\t")'
for lang in "${langs[@]}"; do
    mapfile -t lines <<<"${script[$lang]}"
    for ((k = 0; k < steps; k++)); do
        # the simulator starts the flow itself: the keyword is not typed
        { ((k == 0)) || printf '%s\n' "${lines[@]:1:k}"; } |
            sk_bin simulate "$flow" --flow "Wellbeing Check" --jsonl \
                >"$SK_TMP/sim.jsonl" || sk_fail "simulate failed ($lang)"
        jq -r "select(.type == \"msg_created\") | $escape" \
            "$SK_TMP/sim.jsonl" >"$SK_TMP/exp/$lang.$k"
        cum[$lang,$k]=$(wc -l <"$SK_TMP/exp/$lang.$k")
    done
    cp "$SK_TMP/exp/$lang.$((steps - 1))" "$SK_TMP/exp/$lang"
    jq -e 'select(.type == "run_ended") | .status == "completed"' \
        "$SK_TMP/sim.jsonl" >/dev/null ||
        sk_fail "the $lang script does not complete the survey"
done
total=0
for ((i = 0; i < CHILDREN; i++)); do
    lang=${langs[i % 3]}
    total=$((total + ${cum[$lang,$((steps - 1))]}))
done
sk_log "$CHILDREN children, $total messages expected"

# --- gateway and Kannel ---------------------------------------------------
secret=kannel-$RANDOM$RANDOM-secret
sk_conf "$SK_TMP/gw" "generic-$RANDOM$RANDOM-secret"
port=$(sk_conf_port "$SK_CONF")
kannel_setup "$SK_TMP/kannel" \
    "$(kannel_post_url "127.0.0.1:$port" "$secret" kannel)"
{
    echo
    echo "[outbox]"
    echo "max_parallel = 16"
    echo "max_attempts = 40"
    echo "poll_ms = 100"
    echo "backoff_base_ms = 200"
    echo "backoff_max_ms = 2000"
    echo
    kannel_sikiliza_channel kannel "$secret" "$SHORT"
} >>"$SK_CONF"
sk_start
if [[ $SK_PORT != "$port" ]]; then
    # the port was taken meanwhile (by a test running beside this one):
    # smsbox posts to the one the gateway found instead
    sed -i "s|127\.0\.0\.1:$port/|127.0.0.1:$SK_PORT/|" \
        "$SK_TMP/kannel/kannel.conf"
    grep -q "127\.0\.0\.1:$SK_PORT/" "$SK_TMP/kannel/kannel.conf" ||
        sk_fail "cannot move smsbox's post-url to port $SK_PORT"
fi
kannel_start

mkfifo "$SK_TMP/phone.in"
"$SK_PHONE" -p "$KANNEL_FAKE_PORT" -c 60 -d 3 \
    <"$SK_TMP/phone.in" >"$SK_TMP/phone.out" 2>"$SK_TMP/phone.err" &
phone_pid=$!
exec {phone_fd}>"$SK_TMP/phone.in"
kannel_wait_smsc_online 30 || sk_fail "no phone on the fake SMSC"

# --- the children ---------------------------------------------------------
declare -a number child_lang step
for ((i = 0; i < CHILDREN; i++)); do
    number[i]=$(printf '+2547100%05d' $((i + 1)))
    child_lang[i]=${langs[i % 3]}
    step[i]=0
done

# send_next I: child I sends the next line of their script.
send_next()
{
    local i=$1 line
    line=$(sed -n "$((step[i] + 1))p" <<<"${script[${child_lang[i]}]}")
    printf '%s %s %s\n' "${number[i]}" "$SHORT" "$line" >&"$phone_fd"
    step[i]=$((step[i] + 1))
}

for ((i = 0; i < CHILDREN; i++)); do
    send_next "$i"
done

sent_lines=$CHILDREN
hold=false
received=0
all_done=false
declare -A got

# tick: reads what the phones got; each child whose last message has its
# whole reply sends their next one (unless held).
tick()
{
    local i n c lang
    got=()
    while read -r n c; do
        got[$n]=$c
    done < <(awk -v s="$SHORT" '$1 == s { n[$2]++ }
                                END { for (k in n) print k, n[k] }' \
        "$SK_TMP/phone.out")
    received=0
    all_done=true
    for ((i = 0; i < CHILDREN; i++)); do
        c=${got[${number[i]}]:-0}
        received=$((received + c))
        lang=${child_lang[i]}
        if ! $hold && ((step[i] < steps)) &&
            ((c >= ${cum[$lang,$((step[i] - 1))]})); then
            send_next "$i"
            sent_lines=$((sent_lines + 1))
        fi
        if ((step[i] < steps || c < ${cum[$lang,$((steps - 1))]})); then
            all_done=false
        fi
    done
}

inbound_rows()
{
    sqlite3 -cmd ".timeout 5000" "$SK_TMP/gw/sikiliza.db" \
        "SELECT count(*) FROM inbound" 2>/dev/null || echo 0
}

# restart_bearerbox: the children hold their next message until the
# gateway has stored every message sent so far (the fake SMSC's line
# protocol has no acknowledgement: a line written as bearerbox closes is
# lost on the wire, where SMPP would have the SMSC deliver it again). Then
# bearerbox stops while replies are on their way through smsbox; the
# children go on texting into the phone's queue while it is down; after
# a while it starts again on the same store.
restart_bearerbox()
{
    local deadline=$((SECONDS + 20)) lost
    hold=true
    until (($(inbound_rows) >= sent_lines)); do
        ((SECONDS < deadline)) ||
            sk_fail "the gateway did not store all $sent_lines messages"
        sleep 0.05
    done
    lost=$(grep -c 'connection to Kannel lost' "$SK_TMP/phone.err" || true)
    sk_log "$received of $total messages arrived: stopping bearerbox"
    kannel_stop_bearerbox
    deadline=$((SECONDS + 10))
    until (($(grep -c 'connection to Kannel lost' "$SK_TMP/phone.err" ||
        true) > lost)); do
        ((SECONDS < deadline)) || sk_fail "the phones did not notice"
        sleep 0.05
    done
    hold=false
    deadline=$((SECONDS + 2))
    while ((SECONDS < deadline)); do
        tick
        sleep 0.2
    done
    # the boxes must not inherit the phones' stdin
    kannel_restart_bearerbox {phone_fd}>&- ||
        sk_fail "bearerbox did not restart"
    sk_log "bearerbox is back"
}

restarted=false
start=$SECONDS
while :; do
    tick
    if $all_done; then
        break
    fi
    if ! $restarted && ((received >= total / 3)); then
        restart_bearerbox
        restarted=true
        continue
    fi
    if ((SECONDS - start > DEADLINE)); then
        for ((i = 0; i < CHILDREN; i++)); do
            lang=${child_lang[i]}
            c=${got[${number[i]}]:-0}
            if ((step[i] < steps || c < ${cum[$lang,$((steps - 1))]})); then
                sk_log "child $i ($lang): step ${step[i]}, $c messages"
            fi
        done
        sk_fail "surveys incomplete after $DEADLINE s ($received of $total)"
    fi
    sleep 0.2
done
$restarted || sk_fail "every survey ended before bearerbox was restarted"
sk_log "every survey completed in $((SECONDS - start)) s"

# Late duplicates would arrive now; then the phones hang up.
sleep 2
exec {phone_fd}>&-
phone_fd=
wait "$phone_pid" || sk_fail "sk-phone exited with status $?"
phone_pid=

# --- checks ---------------------------------------------------------------
for ((i = 0; i < CHILDREN; i++)); do
    lang=${child_lang[i]}
    awk -v s="$SHORT" -v n="${number[i]}" '$1 == s && $2 == n {
            sub(/^[^ ]+ [^ ]+ /, ""); print }' \
        "$SK_TMP/phone.out" >"$SK_TMP/child.$i"
    if ! cmp -s "$SK_TMP/child.$i" "$SK_TMP/exp/$lang"; then
        diff "$SK_TMP/exp/$lang" "$SK_TMP/child.$i" >&2 || true
        sk_fail "child $i ($lang) did not get the survey in order, once"
    fi
done
count=$(wc -l <"$SK_TMP/phone.out")
((count == total)) || sk_fail "phones got $count messages, expected $total"
sk_log "every child got every message of the survey, in order, once"

db=$SK_TMP/gw/sikiliza.db
rows=$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE channel = 'kannel'")
((rows == total)) || sk_fail "$rows outbox rows, expected $total"
bad=$(sqlite3 "$db" "SELECT count(*) FROM outbox
                     WHERE status NOT IN ('sent', 'delivered')")
((bad == 0)) || sk_fail "$bad outbox rows are not sent"
# The fake SMSC reports delivery (1) of what it got; reports for messages
# in flight during the restart may be lost with bearerbox's memory.
delivered=$(sqlite3 "$db" "SELECT count(*) FROM outbox
                           WHERE status = 'delivered'")
((delivered >= total / 2)) ||
    sk_fail "only $delivered of $total rows have a delivery report"
retried=$(sqlite3 "$db" "SELECT count(*) FROM outbox WHERE attempts > 1")
in_rows=$(sqlite3 "$db" "SELECT count(*) FROM inbound")
((in_rows == sent_lines)) ||
    sk_fail "$in_rows inbound rows, expected $sent_lines (one per message)"
sk_log "outbox: $rows rows sent, $delivered delivered, $retried retried"

sk_stop
for ((i = 0; i < CHILDREN; i++)); do
    n=${number[i]}
    if grep -qF -e "$n" -e "${n#+}" -e "%2B${n#+}" "$SK_LOG"; then
        sk_fail "the gateway log holds a phone number"
    fi
done
for lang in "${langs[@]}"; do
    last=$(tail -n 1 <<<"${script[$lang]}")
    if grep -qF -- "$last" "$SK_LOG"; then
        sk_fail "the gateway log holds a child's answer"
    fi
done
sk_log "the gateway log holds no number and no answer"
echo "PASS"
