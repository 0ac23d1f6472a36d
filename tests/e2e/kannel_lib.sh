# shellcheck shell=bash
# shellcheck disable=SC2034  # KANNEL_* values are for the caller
#
# Real Kannel for end-to-end tests: bearerbox and smsbox from Debian's
# `kannel`, configured from deploy/kannel.conf, on free loopback ports in a
# temporary directory. The fake SMSC of that configuration is the phone
# network; tests/tools/sk-phone (or Kannel's fakesmsc) connects to it.
#
# Source this file, then:
#     kannel_available || exit 77            # prints why when it is not
#     kannel_setup DIR POST_URL              # write DIR/kannel.conf
#     kannel_sikiliza_channel NAME SECRET    # the matching [channel NAME]
#     kannel_start                           # bearerbox + smsbox, waits
#     ... KANNEL_FAKE_PORT, KANNEL_SENDSMS_URL, KANNEL_USER, KANNEL_PASS
#     kannel_wait_smsc_online 30             # once a phone connected
#     kannel_restart_bearerbox               # and smsbox, if it gave up
#     kannel_stop                            # call it from the EXIT trap
#
# POST_URL is the sms-service post-url as Kannel expects it, with Kannel's
# escapes (%p sender, %b text, %I id, ...); the sample's own URL with its
# host and port replaced is what kannel_post_url HOST:PORT SECRET gives.
# Logs land in DIR (bearerbox.log, smsbox.log, access.log, *.stderr);
# kannel_dump_logs prints their tails when a test fails.

KANNEL_BEARERBOX=${KANNEL_BEARERBOX:-/usr/sbin/bearerbox}
KANNEL_SMSBOX=${KANNEL_SMSBOX:-/usr/sbin/smsbox}
KANNEL_BB_PID=
KANNEL_SB_PID=
KANNEL_DIR=
KANNEL_USED_PORTS=" "

# kannel_available: 0 when bearerbox and smsbox can be run here.
kannel_available()
{
    local bin
    for bin in "$KANNEL_BEARERBOX" "$KANNEL_SMSBOX"; do
        if [[ ! -x $bin ]]; then
            echo "kannel: $bin not installed (Debian package kannel)" >&2
            return 1
        fi
    done
    if ! command -v curl >/dev/null || ! command -v ss >/dev/null; then
        echo "kannel: curl and ss (iproute2) are needed" >&2
        return 1
    fi
}

# kannel_port_listening PORT: 0 when something listens on 127.0.0.1:PORT.
kannel_port_listening()
{
    [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]
}

# kannel_free_port: print a loopback TCP port nobody listens on and this
# shell has not handed out before. It is drawn below the kernel's ephemeral
# range (as lib.sh's sk_free_port does), where the outgoing connections of
# the tests running beside this one cannot take it before Kannel binds it.
kannel_free_port()
{
    local port tries lo=20000 hi=32000 eph_lo eph_hi
    if read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range \
        2>/dev/null; then
        if ((eph_lo > 21000)); then
            hi=$((eph_lo - 1))
        else
            lo=$((eph_hi + 1))
            hi=65000
        fi
    fi
    for ((tries = 0; tries < 200; tries++)); do
        port=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1)))
        if [[ $KANNEL_USED_PORTS == *" $port "* ]]; then
            continue
        fi
        if ! kannel_port_listening "$port" &&
            [[ -z $(ss -Htan "sport = :$port" 2>/dev/null) ]]; then
            KANNEL_USED_PORTS+="$port "
            echo "$port"
            return 0
        fi
    done
    echo "kannel: no free port found" >&2
    return 1
}

# kannel_wait_port PORT SECONDS: wait until PORT listens.
kannel_wait_port()
{
    local port=$1 deadline=$((SECONDS + $2))
    while ((SECONDS < deadline)); do
        if kannel_port_listening "$port"; then
            return 0
        fi
        sleep 0.1
    done
    echo "kannel: nothing listens on port $port after $2 s" >&2
    return 1
}

# kannel_post_url HOST:PORT SECRET [CHANNEL]: the sample's post-url with
# another address, secret and channel name.
kannel_post_url()
{
    local url
    url=$(sed -n 's/^post-url = "\(.*\)"$/\1/p' \
        "$SK_SOURCE_DIR/deploy/kannel.conf")
    url=${url/127.0.0.1:8080/$1}
    url=${url/secret=change-me/secret=$2}
    url=${url/\/c\/kannel\//\/c\/${3:-kannel}\/}
    echo "$url"
}

# kannel_setup DIR POST_URL: pick ports, write DIR/kannel.conf.
kannel_setup()
{
    local dir=$1 post_url=$2
    local sample="$SK_SOURCE_DIR/deploy/kannel.conf"

    if [[ ! -r $sample ]]; then
        echo "kannel: $sample missing (is SK_SOURCE_DIR set?)" >&2
        return 1
    fi
    KANNEL_DIR=$dir
    mkdir -p "$dir/store"
    chmod 0700 "$dir/store"
    KANNEL_ADMIN_PORT=$(kannel_free_port)
    KANNEL_SMSBOX_PORT=$(kannel_free_port)
    KANNEL_SENDSMS_PORT=$(kannel_free_port)
    KANNEL_FAKE_PORT=$(kannel_free_port)
    KANNEL_ADMIN_PASS=admin-$RANDOM$RANDOM
    KANNEL_USER=sikiliza
    KANNEL_PASS=pw-$RANDOM$RANDOM
    KANNEL_SENDSMS_URL="http://127.0.0.1:$KANNEL_SENDSMS_PORT/cgi-bin/sendsms"
    KANNEL_ADMIN_URL="http://127.0.0.1:$KANNEL_ADMIN_PORT"
    # sed's replacement treats & and \ specially, and | is the delimiter.
    local url_esc=${post_url//\\/\\\\}
    url_esc=${url_esc//&/\\&}
    url_esc=${url_esc//|/\\|}
    sed -e "s|^admin-port = .*|admin-port = $KANNEL_ADMIN_PORT|" \
        -e "s|^admin-password = .*|admin-password = $KANNEL_ADMIN_PASS|" \
        -e "s|^status-password = .*|status-password = $KANNEL_ADMIN_PASS|" \
        -e "s|^smsbox-port = .*|smsbox-port = $KANNEL_SMSBOX_PORT|" \
        -e "s|^bearerbox-port = .*|bearerbox-port = $KANNEL_SMSBOX_PORT|" \
        -e "s|^sendsms-port = .*|sendsms-port = $KANNEL_SENDSMS_PORT|" \
        -e "s|^port = 10000$|port = $KANNEL_FAKE_PORT|" \
        -e "s|\"/var/log/kannel/|\"$dir/|" \
        -e "s|^store-location = .*|store-location = \"$dir/store/kannel.store\"|" \
        -e "s|^post-url = .*|post-url = \"$url_esc\"|" \
        -e "s|^username = .*|username = $KANNEL_USER|" \
        -e "s|^password = .*|password = $KANNEL_PASS|" \
        -e "s|^http-queue-delay = .*|http-queue-delay = 1|" \
        "$sample" >"$dir/kannel.conf"
    # Every port of the sample must have been replaced.
    local missed
    missed=$(grep -En '^[^#]*(= *(13000|13001|13013|10000)$|/var/)' \
        "$dir/kannel.conf" || true)
    if [[ -n $missed ]]; then
        echo "kannel: the sample changed; kannel_setup missed:" >&2
        echo "$missed" >&2
        return 1
    fi
}

# kannel_sikiliza_channel NAME SECRET [NUMBER]: print the sikiliza.conf
# section of a Kannel channel that sends through this Kannel (after
# kannel_setup).
kannel_sikiliza_channel()
{
    printf '[channel %s]\ntype = kannel\nsecret = %s\n' "$1" "$2"
    printf 'send_url = %s\nusername = %s\npassword = %s\nnumber = %s\n' \
        "$KANNEL_SENDSMS_URL" "$KANNEL_USER" "$KANNEL_PASS" "${3:-1234}"
}

# kannel_status: print bearerbox's status page (text form).
kannel_status()
{
    curl -fsS --max-time 5 \
        "$KANNEL_ADMIN_URL/status.txt?password=$KANNEL_ADMIN_PASS"
}

# kannel_wait_smsc_online SECONDS: wait until a phone is connected to the
# fake SMSC (bearerbox shows it on-line).
kannel_wait_smsc_online()
{
    local deadline=$((SECONDS + $1))
    until kannel_status 2>/dev/null | grep -q 'FAKE:.*(online'; do
        if ((SECONDS >= deadline)); then
            echo "kannel: the fake SMSC has no phone connected" >&2
            return 1
        fi
        sleep 0.1
    done
}

kannel_start_bearerbox()
{
    local deadline
    "$KANNEL_BEARERBOX" -v 1 "$KANNEL_DIR/kannel.conf" \
        >>"$KANNEL_DIR/bearerbox.stderr" 2>&1 &
    KANNEL_BB_PID=$!
    kannel_wait_port "$KANNEL_ADMIN_PORT" 20 || return 1
    kannel_wait_port "$KANNEL_SMSBOX_PORT" 20 || return 1
    kannel_wait_port "$KANNEL_FAKE_PORT" 20 || return 1
    deadline=$((SECONDS + 20))
    until kannel_status >/dev/null 2>&1; do
        if ((SECONDS >= deadline)) || ! kill -0 "$KANNEL_BB_PID" 2>/dev/null
        then
            echo "kannel: bearerbox does not answer on its admin port" >&2
            return 1
        fi
        sleep 0.1
    done
}

kannel_start_smsbox()
{
    local deadline
    "$KANNEL_SMSBOX" -v 1 "$KANNEL_DIR/kannel.conf" \
        >>"$KANNEL_DIR/smsbox.stderr" 2>&1 &
    KANNEL_SB_PID=$!
    kannel_wait_port "$KANNEL_SENDSMS_PORT" 20 || return 1
    # bearerbox lists the box once it has connected.
    deadline=$((SECONDS + 20))
    until kannel_status 2>/dev/null | grep -q 'smsbox:'; do
        if ((SECONDS >= deadline)) || ! kill -0 "$KANNEL_SB_PID" 2>/dev/null
        then
            echo "kannel: smsbox did not connect to bearerbox" >&2
            return 1
        fi
        sleep 0.1
    done
}

# kannel_start: bearerbox, then smsbox; returns once both serve.
kannel_start()
{
    kannel_start_bearerbox && kannel_start_smsbox
}

# kannel_kill PID NAME: SIGTERM, wait up to 15 s, then SIGKILL.
kannel_kill()
{
    local pid=$1 deadline=$((SECONDS + 15))
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "kannel: $2 ($pid) ignored SIGTERM, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# kannel_stop_bearerbox: stop bearerbox alone (smsbox notices).
kannel_stop_bearerbox()
{
    kannel_kill "$KANNEL_BB_PID" bearerbox
    KANNEL_BB_PID=
}

# kannel_restart_bearerbox: stop bearerbox and start it again on the same
# ports with the same store. smsbox reconnects by itself when it can; if it
# gave up and exited, it is started again too.
kannel_restart_bearerbox()
{
    kannel_stop_bearerbox
    kannel_start_bearerbox || return 1
    if [[ -n $KANNEL_SB_PID ]] && kill -0 "$KANNEL_SB_PID" 2>/dev/null; then
        local deadline=$((SECONDS + 30))
        until kannel_status 2>/dev/null | grep -q 'smsbox:'; do
            if ! kill -0 "$KANNEL_SB_PID" 2>/dev/null; then
                break
            fi
            if ((SECONDS >= deadline)); then
                echo "kannel: smsbox did not come back" >&2
                return 1
            fi
            sleep 0.2
        done
        if kill -0 "$KANNEL_SB_PID" 2>/dev/null; then
            return 0
        fi
    fi
    wait "$KANNEL_SB_PID" 2>/dev/null || true
    kannel_start_smsbox
}

# kannel_stop: stop smsbox and bearerbox; safe to call more than once.
kannel_stop()
{
    kannel_kill "$KANNEL_SB_PID" smsbox
    KANNEL_SB_PID=
    kannel_kill "$KANNEL_BB_PID" bearerbox
    KANNEL_BB_PID=
}

# kannel_dump_logs: the tail of every Kannel log, for a failing test.
kannel_dump_logs()
{
    local f
    [[ -n $KANNEL_DIR ]] || return 0
    for f in "$KANNEL_DIR"/*.log "$KANNEL_DIR"/*.stderr; do
        [[ -f $f ]] || continue
        echo "---- ${f##*/}" >&2
        tail -n 40 "$f" >&2
    done
}
