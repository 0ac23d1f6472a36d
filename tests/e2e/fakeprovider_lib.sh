# shellcheck shell=bash
# Helpers for e2e tests against sk-fakeprovider, the local fake of the
# providers' send APIs (sourced after lib.sh and sk_init, not run).
#
# fp_start ARGS... starts the fake on a free loopback port with the given
# options (credentials, -s, -f) and sets
#   FP_URL  its base URL, for a channel's api_url;
#   FP_OUT  one line per accepted message: PROVIDER<TAB>TO<TAB>TEXT;
#   FP_LOG  one line per send request: PROVIDER ANSWER TO;
#   FP_REQ  the same in detail: MS PROVIDER ANSWER TO FROM BULK ID (tabs).
# The EXIT trap stops it before sk_cleanup removes $SK_TMP.

FP_PID=
FP_URL=
FP_OUT=
FP_LOG=
FP_REQ=

# The "Timeout Test" flow fp_timeout_flow writes: it sends FP_Q1, waits 1 s
# for an answer, and sends FP_LATER when none came.
# shellcheck disable=SC2034 # used by the tests that source this file
FP_Q1='Q1: are you safe? Reply YES or NO'
# shellcheck disable=SC2034
FP_LATER='Still there? We are here when you are ready.'

fp_stop() {
    if [ -n "$FP_PID" ] && kill -0 "$FP_PID" 2>/dev/null; then
        kill -TERM "$FP_PID" 2>/dev/null || true
        wait "$FP_PID" 2>/dev/null || true
    fi
    FP_PID=
}

fp_start() {
    local dir=$SK_TMP/fake port i
    if [ -z "${SK_FAKEPROVIDER:-}" ] || [ ! -x "$SK_FAKEPROVIDER" ]; then
        sk_skip "SK_FAKEPROVIDER is not set to the built sk-fakeprovider"
    fi
    [ -z "$FP_PID" ] || sk_fail "fp_start: the fake is already running"
    # shellcheck disable=SC2154 # rc is set in the trap itself
    trap 'rc=$?; fp_stop; (exit "$rc"); sk_cleanup' EXIT
    mkdir -p "$dir"
    FP_OUT=$dir/sent.tsv
    FP_LOG=$dir/fake.log
    FP_REQ=$dir/requests.tsv
    : >"$FP_OUT"
    : >"$FP_REQ"
    for ((i = 0; i < 5; i++)); do
        port=$(sk_free_port)
        "$SK_FAKEPROVIDER" -l "$port" -o "$FP_OUT" -r "$FP_REQ" "$@" \
            >>"$FP_LOG" 2>&1 &
        FP_PID=$!
        for _ in $(seq 50); do
            curl -fsS --max-time 1 -o /dev/null \
                "http://127.0.0.1:$port/ping" 2>/dev/null && break
            kill -0 "$FP_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$FP_PID" 2>/dev/null && sk_owns_port "$FP_PID" "$port"
        then
            FP_URL=http://127.0.0.1:$port
            return 0
        fi
        fp_stop
    done
    sk_fail "sk-fakeprovider did not start"
}

# fp_next LIST: the fake's answers to the next send requests.
fp_next() {
    [ "$(sk_http "$SK_TMP/fake/ctl.out" -X POST "$FP_URL/control?next=$1")" \
        = 200 ] || sk_fail "the fake refused next=$1"
}

# wait_until SECONDS WHAT CMD...: polls CMD every 0.1 s.
wait_until() {
    local limit=$1 what=$2 deadline
    shift 2
    deadline=$((SECONDS + limit))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || sk_fail "timed out waiting for $what"
        sleep 0.1
    done
}

# sent_count PROVIDER TO TEXT: accepted messages with exactly these.
sent_count() {
    awk -F '\t' -v p="$1" -v t="$2" -v m="$3" \
        '$1 == p && $2 == t && $3 == m { n++ } END { print n + 0 }' "$FP_OUT"
}
has_sent() {
    [ "$(sent_count "$1" "$2" "$3")" -ge 1 ]
}

# attempts PROVIDER ANSWER TO: send requests the fake saw.
attempts() {
    grep -c "^$1 $2 $3\$" "$FP_LOG" || true
}
has_attempt() {
    [ "$(attempts "$1" "$2" "$3")" -ge 1 ]
}

# fp_requests PROVIDER TO: the detailed lines of the send requests to TO.
fp_requests() {
    awk -F '\t' -v p="$1" -v t="$2" '$2 == p && $4 == t' "$FP_REQ"
}

# fp_timeout_flow FILE: writes the "Timeout Test" flow.
fp_timeout_flow() {
    cat >"$1" <<'EOF'
{
  "uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e01",
  "name": "Timeout Test", "spec_version": "13.5.0", "language": "eng",
  "type": "messaging", "revision": 1, "expire_after_minutes": 60,
  "localization": {},
  "nodes": [
    {"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e02",
     "actions": [{"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e03",
                  "type": "send_msg",
                  "text": "Q1: are you safe? Reply YES or NO"}],
     "exits": [{"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e04",
                "destination_uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e05"}]},
    {"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e05", "actions": [],
     "router": {
       "type": "switch", "operand": "@input.text",
       "cases": [{"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e06",
                  "type": "has_any_word", "arguments": ["yes no"],
                  "category_uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e07"}],
       "categories": [
         {"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e07", "name": "Answered",
          "exit_uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e08"},
         {"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e09", "name": "Other",
          "exit_uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e08"},
         {"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0a",
          "name": "No Response",
          "exit_uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0b"}],
       "default_category_uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e09",
       "result_name": "Safe",
       "wait": {"type": "msg",
                "timeout": {"seconds": 1,
                  "category_uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0a"}}},
     "exits": [
       {"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e08",
        "destination_uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0c"},
       {"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0b",
        "destination_uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0e"}]},
    {"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0c",
     "actions": [{"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0d",
                  "type": "send_msg", "text": "Thank you."}],
     "exits": [{"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e10"}]},
    {"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0e",
     "actions": [{"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e0f",
                  "type": "send_msg",
                  "text": "Still there? We are here when you are ready."}],
     "exits": [{"uuid": "7f1b9a4e-0c51-4b6e-9a57-1a2b3c4d5e11"}]}
  ]
}
EOF
}
