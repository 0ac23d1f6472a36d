# shellcheck shell=bash
# Shared helpers for the end-to-end tests (sourced, not run).
#
# A test sources this file, calls sk_init, writes a config with sk_conf and
# starts the real gateway with sk_start. Everything a test starts or
# creates lives under $SK_TMP and is removed by the EXIT trap, also when a
# check fails (set SK_KEEP_TMP=1 to keep it for a post-mortem).
#
# Environment (set by ctest): SK_BIN, the built binary; SK_SOURCE_DIR, the
# source root; SK_FIXTURES, the shared fixtures. Exit 77 means "skipped".
#
# Needs bash, curl, sqlite3 and jq; ss (iproute2) when present.

SK_PID=
SK_PORT=
SK_URL=
SK_CONF=
SK_LOG=
SK_TMP=

sk_log() {
    printf '%s: %s\n' "${SK_TEST_NAME:-e2e}" "$*" >&2
}

sk_skip() {
    sk_log "SKIP: $*"
    exit 77
}

sk_fail() {
    sk_log "FAIL: $*"
    if [ -n "$SK_LOG" ] && [ -s "$SK_LOG" ]; then
        sk_log "last lines of the gateway log ($SK_LOG):"
        tail -n 30 "$SK_LOG" >&2 || true
    fi
    exit 1
}

# Kills the gateway if it is still running and removes the temp dir.
sk_cleanup() {
    local rc=$?
    if [ -n "$SK_PID" ] && kill -0 "$SK_PID" 2>/dev/null; then
        kill -KILL "$SK_PID" 2>/dev/null || true
        wait "$SK_PID" 2>/dev/null || true
    fi
    SK_PID=
    if [ -n "$SK_TMP" ] && [ -d "$SK_TMP" ]; then
        if [ "${SK_KEEP_TMP:-0}" = 1 ]; then
            sk_log "kept $SK_TMP"
        else
            rm -rf -- "$SK_TMP"
        fi
    fi
    return "$rc"
}

# sk_init NAME: checks the tools and the binary, makes $SK_TMP, sets traps.
sk_init() {
    SK_TEST_NAME=$1
    local tool
    for tool in curl sqlite3 jq; do
        command -v "$tool" >/dev/null 2>&1 ||
            sk_skip "$tool is not installed (run deploy/install-deps)"
    done
    if [ -z "${SK_BIN:-}" ] || [ ! -x "$SK_BIN" ]; then
        sk_skip "SK_BIN is not set to the built sikiliza binary"
    fi
    if [ -z "${SK_SOURCE_DIR:-}" ] || [ ! -d "$SK_SOURCE_DIR" ]; then
        sk_skip "SK_SOURCE_DIR is not set"
    fi
    # A binary that prints no help at all is the placeholder from before the
    # command line existed; one that prints help without a command fails.
    local help
    help=$(timeout -k 5 30 "$SK_BIN" --help 2>&1) || true
    [ -n "$help" ] || sk_skip "the sikiliza command line is not built yet"
    SK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sikiliza-e2e.XXXXXX")
    trap sk_cleanup EXIT
    trap 'exit 130' INT TERM
}

# sk_bin ARGS...: runs sikiliza in the foreground, killed after 60 s (exit
# status 124) so that a command that hangs fails the test instead of
# blocking it.
sk_bin() {
    timeout -k 5 60 "$SK_BIN" "$@"
}

# sk_need_command WORD...: fails unless `sikiliza --help` lists each word.
sk_need_command() {
    local help word
    help=$(sk_bin --help 2>&1) || true
    for word in "$@"; do
        grep -qw -- "$word" <<<"$help" ||
            sk_fail "sikiliza --help does not list \"$word\""
    done
}

# True when something already listens on (or accepts on) 127.0.0.1:$1.
sk_port_busy() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        if [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
            return 0
        fi
    fi
    # Without ss (or as a second check): try to connect with bash itself.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        return 0
    fi
    return 1
}

# Prints a free loopback port. Candidates are drawn at random below the
# kernel's ephemeral range, so outgoing connections do not take them
# between the check and the bind; sk_start retries if one is taken anyway.
sk_free_port() {
    local lo=20000 hi=32000 eph_lo eph_hi port i
    if read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range \
        2>/dev/null; then
        if [ "$eph_lo" -gt 21000 ]; then
            hi=$((eph_lo - 1))
        else
            lo=$((eph_hi + 1))
            hi=65000
        fi
    fi
    for ((i = 0; i < 200; i++)); do
        port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
        if ! sk_port_busy "$port"; then
            echo "$port"
            return 0
        fi
    done
    sk_fail "no free loopback port found"
}

# sk_keygen FILE: a new secret key file.
sk_keygen() {
    sk_bin keygen -o "$1" || sk_fail "sikiliza keygen -o $1 failed"
    [ -s "$1" ] || sk_fail "sikiliza keygen wrote no key to $1"
}

# sk_conf DIR SECRET [EXTRA]: writes DIR/sikiliza.conf for a gateway whose
# files all live in DIR, with one generic channel "demo" and the example
# flows, and sets SK_CONF and SK_LOG. EXTRA is appended as it is.
sk_conf() {
    local dir=$1 secret=$2 extra=${3:-}
    mkdir -p "$dir"
    [ -f "$dir/secret.key" ] || sk_keygen "$dir/secret.key"
    SK_CONF=$dir/sikiliza.conf
    SK_LOG=$dir/serve.log
    cat >"$SK_CONF" <<EOF
[server]
listen = 127.0.0.1:$(sk_free_port)

[store]
path = $dir/sikiliza.db

[privacy]
key_file = $dir/secret.key

[flows]
dir = $SK_SOURCE_DIR/flows/examples
default = Wellbeing Check

[channel demo]
type = generic
secret = $secret
$extra
EOF
}

sk_conf_port() {
    sed -n 's/^listen *= *127\.0\.0\.1:\([0-9][0-9]*\) *$/\1/p' "$1" | head -n 1
}

# True unless ss shows that the listener on port $2 is not process $1
# (without ss, or without the right to see, there is nothing to compare).
sk_owns_port() {
    local users
    command -v ss >/dev/null 2>&1 || return 0
    users=$(ss -Hltnp "sport = :$2" 2>/dev/null) || return 0
    case $users in
    *"pid=$1,"*) return 0 ;;
    *pid=*) return 1 ;;
    *) return 0 ;;
    esac
}

# sk_start: starts `sikiliza serve` in the background (stderr to
# $SK_LOG) and waits until /healthz answers. When the port was taken in the
# meantime, moves the config to another free port and tries again.
sk_start() {
    local conf=$SK_CONF attempt deadline
    [ -z "$SK_PID" ] || sk_fail "sk_start: the gateway is already running"
    for ((attempt = 0; attempt < 5; attempt++)); do
        SK_PORT=$(sk_conf_port "$conf")
        [ -n "$SK_PORT" ] || sk_fail "$conf has no listen = 127.0.0.1:PORT"
        SK_URL=http://127.0.0.1:$SK_PORT
        echo "--- start $(date -u +%FT%TZ) port $SK_PORT" >>"$SK_LOG"
        "$SK_BIN" serve -c "$conf" >>"$SK_LOG" 2>&1 &
        SK_PID=$!
        deadline=$((SECONDS + 30))
        while [ "$SECONDS" -lt "$deadline" ]; do
            if ! kill -0 "$SK_PID" 2>/dev/null; then
                break
            fi
            if curl -fsS --max-time 2 -o /dev/null "$SK_URL/healthz" \
                2>/dev/null; then
                sk_owns_port "$SK_PID" "$SK_PORT" && return 0
                break # another process answers there
            fi
            sleep 0.1
        done
        if kill -0 "$SK_PID" 2>/dev/null && sk_owns_port "$SK_PID" "$SK_PORT"
        then
            sk_fail "the gateway did not answer /healthz within 30 s"
        fi
        kill -KILL "$SK_PID" 2>/dev/null || true
        wait "$SK_PID" 2>/dev/null || true
        SK_PID=
        if ! sk_port_busy "$SK_PORT"; then
            sk_fail "the gateway exited at start"
        fi
        sk_log "port $SK_PORT was taken; trying another"
        sed -i "s/^listen *=.*/listen = 127.0.0.1:$(sk_free_port)/" "$conf"
    done
    sk_fail "could not start the gateway on a free port"
}

# sk_stop: SIGTERM, which must end the gateway with exit status 0 (and so,
# in a sanitizer build, without leaks) within 30 s.
sk_stop() {
    local i rc=0
    [ -n "$SK_PID" ] || sk_fail "sk_stop: the gateway is not running"
    kill -TERM "$SK_PID"
    for ((i = 0; i < 300; i++)); do
        kill -0 "$SK_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SK_PID" 2>/dev/null; then
        sk_fail "the gateway did not exit within 30 s of SIGTERM"
    fi
    wait "$SK_PID" || rc=$?
    SK_PID=
    [ "$rc" -eq 0 ] || sk_fail "the gateway exited with status $rc on SIGTERM"
}

# sk_crash: SIGKILL, as a power cut would.
sk_crash() {
    [ -n "$SK_PID" ] || sk_fail "sk_crash: the gateway is not running"
    kill -KILL "$SK_PID"
    wait "$SK_PID" 2>/dev/null || true
    SK_PID=
}

# sk_alive: the gateway process is running and answers /healthz.
sk_alive() {
    if [ -z "$SK_PID" ] || ! kill -0 "$SK_PID" 2>/dev/null; then
        sk_fail "the gateway is no longer running"
    fi
    curl -fsS --max-time 5 -o /dev/null "$SK_URL/healthz" ||
        sk_fail "the gateway no longer answers /healthz"
}

# sk_http OUT CURL-ARGS...: runs curl, writes the body to OUT and prints
# the HTTP status (000 when there was no answer).
sk_http() {
    local out=$1
    shift
    curl -sS --max-time 30 -o "$out" -w '%{http_code}' "$@" 2>/dev/null ||
        true
}

# sk_urienc VALUE: VALUE percent-encoded for a URL or a form.
sk_urienc() {
    jq -rn --arg v "$1" '$v | @uri'
}

# sk_tw_post OUT PATH KEY=VALUE...: POSTs the form to $SK_URL$PATH, signed
# as Twilio signs (HMAC-SHA1 with $TW_TOKEN over $PUBLIC$PATH and the
# sorted keys and values); prints the status. TW_SIGN=bad signs with
# another token, TW_SIGN=none not at all.
sk_tw_post() {
    local out=$1 path=$2 s line body= token=$TW_TOKEN sig
    shift 2
    s=$PUBLIC$path
    while IFS= read -r line; do
        s+=${line/=/}
    done < <(printf '%s\n' "$@" | LC_ALL=C sort)
    for line in "$@"; do
        body+=${body:+&}${line%%=*}=$(sk_urienc "${line#*=}")
    done
    [ "${TW_SIGN:-good}" != bad ] || token=not-the-token
    sig=$(printf '%s' "$s" | openssl dgst -sha1 -hmac "$token" -binary |
        base64)
    if [ "${TW_SIGN:-good}" = none ]; then
        sk_http "$out" --data "$body" "$SK_URL$path"
    else
        sk_http "$out" -H "X-Twilio-Signature: $sig" --data "$body" \
            "$SK_URL$path"
    fi
}

# sk_sql SQL: runs a query on the gateway's database (read only use).
sk_sql() {
    local db
    db=$(sed -n 's/^path *= *//p' "$SK_CONF" | head -n 1)
    [ -f "$db" ] || sk_fail "no database at $db"
    sqlite3 -batch -noheader -cmd '.timeout 5000' "$db" "$1" ||
        sk_fail "sqlite3 failed on: $1"
}

# sk_count TABLE: number of rows.
sk_count() {
    sk_sql "SELECT count(*) FROM $1;"
}

# sk_contains HAYSTACK NEEDLE WHAT: fails unless NEEDLE occurs in HAYSTACK.
sk_contains() {
    case $1 in
    *"$2"*) ;;
    *) sk_fail "$3: expected \"$2\" in: $1" ;;
    esac
}
