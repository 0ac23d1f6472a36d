#!/usr/bin/env bash
# Installing as a service, without systemd: `cmake --install` into a
# DESTDIR lays out the binary, the unit (checked by systemd-analyze), the
# example config and flows; `deploy/install-service --root` sets up the
# user, /etc/sikiliza, /var/lib/sikiliza, the key and the token with the
# right modes and owners, and a second run changes nothing; the installed
# binary serves the installed config and flows; with --kannel, Kannel's
# config gets the gateway's secret and password; the .deb holds the same
# files and scripts, and dpkg installs, removes and purges it in a tree.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init install
sk_need_command serve

[ "$(id -u)" -eq 0 ] || sk_skip "needs root (install-service chowns files)"
for tool in cmake useradd groupadd stat od base64; do
    command -v "$tool" >/dev/null 2>&1 || sk_skip "$tool is not installed"
done
BUILD=$(dirname "$SK_BIN")
[ -f "$BUILD/cmake_install.cmake" ] ||
    sk_skip "$BUILD is not a CMake build directory"
SRC_BIN=$SK_BIN
ROOT=$SK_TMP/root
WORK=$SK_TMP/work
mkdir -p "$ROOT" "$WORK"

# --- cmake --install ---------------------------------------------------------
DESTDIR=$ROOT cmake --install "$BUILD" --prefix /usr >"$WORK/install.out" 2>&1 ||
    sk_fail "cmake --install failed: $(tail -n 5 "$WORK/install.out")"
# mode_of PATH: octal mode, numeric owner and group.
mode_of() {
    stat -c '%a %u %g' "$1"
}
for f in usr/bin/sikiliza:755 usr/share/sikiliza/install-service:755 \
    usr/lib/systemd/system/sikiliza.service:644 \
    usr/share/doc/sikiliza/examples/sikiliza.conf.example:644 \
    usr/share/doc/sikiliza/examples/kannel.conf:644 \
    usr/share/doc/sikiliza/copyright:644 \
    usr/share/sikiliza/flows/wellbeing_check.json:644 \
    usr/share/sikiliza/flows/referral.json:644 \
    usr/share/sikiliza/flows/wellbeing_check_voice.json:644; do
    [ -f "$ROOT/${f%:*}" ] || sk_fail "cmake --install: no /${f%:*}"
    [ "$(stat -c %a "$ROOT/${f%:*}")" = "${f#*:}" ] ||
        sk_fail "/${f%:*}: mode $(stat -c %a "$ROOT/${f%:*}"), want ${f#*:}"
done
[ ! -e "$ROOT/etc" ] || sk_fail "cmake --install wrote to /etc"
UNIT=$ROOT/usr/lib/systemd/system/sikiliza.service
grep -qx 'ExecStart=/usr/bin/sikiliza serve -c /etc/sikiliza/sikiliza.conf' \
    "$UNIT" || sk_fail "the unit does not run /usr/bin/sikiliza: $(grep Exec "$UNIT")"
grep -q '@SK_' "$UNIT" && sk_fail "the unit has an unfilled @SK_...@"
for want in User=sikiliza StateDirectory=sikiliza ConfigurationDirectory=sikiliza \
    ProtectSystem=strict NoNewPrivileges=yes MemoryDenyWriteExecute=yes \
    WantedBy=multi-user.target; do
    grep -qx "$want" "$UNIT" || sk_fail "the unit has no $want"
done
# The prefix given at install time is the one the unit names.
DESTDIR=$SK_TMP/local cmake --install "$BUILD" --prefix /usr/local \
    >"$WORK/install-local.out" 2>&1 || sk_fail "cmake --install --prefix /usr/local failed"
[ -x "$SK_TMP/local/usr/local/bin/sikiliza" ] || sk_fail "no /usr/local/bin/sikiliza"
grep -qx 'ExecStart=/usr/local/bin/sikiliza serve -c /etc/sikiliza/sikiliza.conf' \
    "$SK_TMP/local/usr/local/lib/systemd/system/sikiliza.service" ||
    sk_fail "the /usr/local unit does not run /usr/local/bin/sikiliza"
rm -rf "$SK_TMP/local"

# systemd-analyze verify runs without a booted systemd; the unit's binary
# is pointed at the DESTDIR's (it checks that ExecStart exists).
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$WORK/unit"
    sed "s|^ExecStart=/usr/bin/|ExecStart=$ROOT/usr/bin/|" "$UNIT" \
        >"$WORK/unit/sikiliza.service"
    systemd-analyze verify "$WORK/unit/sikiliza.service" >"$WORK/verify.out" 2>&1 ||
        sk_fail "systemd-analyze verify: $(cat "$WORK/verify.out")"
    [ ! -s "$WORK/verify.out" ] ||
        sk_fail "systemd-analyze verify warns: $(cat "$WORK/verify.out")"
    # The sandbox: systemd's exposure score (0 to 10, lower is tighter) at
    # most 2.0 (the threshold counts tenths).
    systemd-analyze security --offline=yes --threshold=20 \
        "$WORK/unit/sikiliza.service" >"$WORK/security.out" 2>&1 ||
        sk_fail "the unit's exposure: $(tail -n 1 "$WORK/security.out")"
else
    sk_log "no systemd-analyze: the unit is not verified"
fi

# --- deploy/install-service --root -------------------------------------------
SVC=$SK_SOURCE_DIR/deploy/install-service
HOST_HAD=$(grep -c '^sikiliza:' /etc/passwd || true)
"$SVC" --root "$ROOT" --no-start >"$WORK/svc1.out" 2>&1 ||
    sk_fail "install-service failed: $(cat "$WORK/svc1.out")"
out=$(cat "$WORK/svc1.out")
for want in "created group sikiliza" "created user sikiliza" \
    "created /etc/sikiliza" "created /var/lib/sikiliza" \
    "created key /etc/sikiliza/secret.key" \
    "created token /etc/sikiliza/admin.token" \
    "created /etc/sikiliza/sikiliza.conf"; do
    sk_contains "$out" "$want" "install-service, first run"
done
PW=$(grep '^sikiliza:' "$ROOT/etc/passwd") || sk_fail "no sikiliza in the tree's /etc/passwd"
GR=$(grep '^sikiliza:' "$ROOT/etc/group") || sk_fail "no sikiliza in the tree's /etc/group"
IFS=: read -r _ _ uid gid _ home shell <<<"$PW"
[ "$gid" = "$(cut -d: -f3 <<<"$GR")" ] || sk_fail "sikiliza's group is not its own: $PW / $GR"
[ "$uid" -lt 1000 ] || sk_fail "sikiliza is not a system user: $PW"
[ "$home" = /var/lib/sikiliza ] && [ "$shell" = /usr/sbin/nologin ] ||
    sk_fail "sikiliza's home or shell: $PW"
[ "$(grep -c '^sikiliza:' /etc/passwd || true)" = "$HOST_HAD" ] ||
    sk_fail "install-service --root changed this machine's /etc/passwd"
for f in "etc/sikiliza:750 0 $gid" "var/lib/sikiliza:700 $uid $gid" \
    "etc/sikiliza/secret.key:600 $uid $gid" \
    "etc/sikiliza/admin.token:600 $uid $gid" \
    "etc/sikiliza/sikiliza.conf:640 0 $gid"; do
    [ "$(mode_of "$ROOT/${f%%:*}")" = "${f#*:}" ] ||
        sk_fail "/${f%%:*}: $(mode_of "$ROOT/${f%%:*}"), want ${f#*:}"
done
grep -qE '^[0-9a-f]{64}$' "$ROOT/etc/sikiliza/secret.key" ||
    sk_fail "the secret key is not 64 hex digits"
[ "$(tr -d '\n' <"$ROOT/etc/sikiliza/admin.token" | wc -c)" -ge 32 ] ||
    sk_fail "the admin token is shorter than 32 characters"
CONF=$ROOT/etc/sikiliza/sikiliza.conf
for want in "path = /var/lib/sikiliza/sikiliza.db " \
    "key_file = /etc/sikiliza/secret.key " "dir = /usr/share/sikiliza/flows " \
    "admin_token_file = /etc/sikiliza/admin.token " "default = Wellbeing Check "; do
    grep -q "^$want" "$CONF" || sk_fail "the written config has no \"$want\""
done
SECRET=$(sed -n '/^\[channel demo\]/,/^\[/s/^secret = \([0-9a-f]*\) .*/\1/p' "$CONF")
[ "${#SECRET}" = 32 ] || sk_fail "the demo channel has no new secret: \"$SECRET\""
if command -v systemctl >/dev/null 2>&1; then
    [ -L "$ROOT/etc/systemd/system/multi-user.target.wants/sikiliza.service" ] ||
        sk_fail "sikiliza.service is not enabled in the tree"
fi

# snapshot: every path under etc and var with mode, owner, size and content.
snapshot() {
    (cd "$ROOT" && find etc var -printf '%p %m %U %G %s %l\n' | sort &&
        find etc var -type f -exec sha256sum {} + | sort)
}
snapshot >"$WORK/snap1"
sleep 1
"$SVC" --root "$ROOT" --no-start >"$WORK/svc2.out" 2>&1 ||
    sk_fail "install-service, second run, failed: $(cat "$WORK/svc2.out")"
grep -E 'created|fixed|enabled sikiliza' "$WORK/svc2.out" &&
    sk_fail "the second run changed something: $(cat "$WORK/svc2.out")"
snapshot >"$WORK/snap2"
diff "$WORK/snap1" "$WORK/snap2" >&2 || sk_fail "the second run changed the tree"
# A wrong mode is put right; the key stays the same.
chmod 644 "$ROOT/etc/sikiliza/secret.key"
"$SVC" --root "$ROOT" --no-start >"$WORK/svc3.out" 2>&1 ||
    sk_fail "install-service, third run, failed"
sk_contains "$(cat "$WORK/svc3.out")" "fixed mode or owner of /etc/sikiliza/secret.key" \
    "install-service after chmod 644"
snapshot >"$WORK/snap3"
diff "$WORK/snap1" "$WORK/snap3" >&2 || sk_fail "the third run did not restore the tree"
# The installed copy works the same and refuses what it does not know.
"$ROOT/usr/share/sikiliza/install-service" --root "$ROOT" --no-start \
    >"$WORK/svc4.out" 2>&1 || sk_fail "the installed install-service failed"
rc=0
"$SVC" --root "$ROOT" --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "install-service --bogus exited $rc, want 2"

# --kannel: a [channel kannel] in sikiliza.conf and Kannel's config with
# the same secret and password; run again, nothing changes.
mkdir -p "$ROOT/etc/default"
printf 'START_BEARERBOX=1\n#START_SMSBOX=1\nSTART_WAPBOX=1\n' >"$ROOT/etc/default/kannel"
"$SVC" --root "$ROOT" --no-start --kannel >"$WORK/k1.out" 2>&1 ||
    sk_fail "install-service --kannel failed: $(cat "$WORK/k1.out")"
sk_contains "$(cat "$WORK/k1.out")" "added [channel kannel]" "install-service --kannel"
KCONF=$ROOT/etc/kannel/kannel.conf
kvalue() {
    sed -n "/^\[channel kannel\]/,/^\[/s/^$1 = \([^ ]*\).*/\1/p" "$CONF"
}
KSECRET=$(kvalue secret)
KPASS=$(kvalue password)
[ "${#KSECRET}" = 32 ] && [ "${#KPASS}" = 32 ] ||
    sk_fail "[channel kannel] has no new secret and password"
grep -q "^post-url = \"http://127.0.0.1:8080/c/kannel/receive?secret=$KSECRET&" "$KCONF" ||
    sk_fail "kannel.conf does not post to the gateway with its secret"
grep -qx "password = $KPASS" "$KCONF" || sk_fail "kannel.conf has another sendsms password"
grep -q 'change-me' <(grep -v '^#' "$KCONF") && sk_fail "kannel.conf still has a change-me"
[ "$(stat -c %a "$KCONF")" = 640 ] || sk_fail "kannel.conf is not 640"
grep -qx START_SMSBOX=1 "$ROOT/etc/default/kannel" &&
    ! grep -q '^START_WAPBOX' "$ROOT/etc/default/kannel" ||
    sk_fail "/etc/default/kannel: $(cat "$ROOT/etc/default/kannel")"
snapshot >"$WORK/snapk1"
"$SVC" --root "$ROOT" --no-start --kannel >"$WORK/k2.out" 2>&1 ||
    sk_fail "install-service --kannel, second run, failed"
grep -E 'created|fixed|added' "$WORK/k2.out" &&
    sk_fail "the second --kannel run changed something: $(cat "$WORK/k2.out")"
snapshot >"$WORK/snapk2"
diff "$WORK/snapk1" "$WORK/snapk2" >&2 || sk_fail "the second --kannel run changed the tree"

# --- the installed binary serves the installed config ------------------------
# The config as written, its paths moved into the tree, on free ports.
SK_CONF=$WORK/serve.conf
export SK_LOG=$WORK/serve.log
sed -e "s|/etc/sikiliza/|$ROOT/etc/sikiliza/|" \
    -e "s|/var/lib/sikiliza/|$ROOT/var/lib/sikiliza/|" \
    -e "s|/usr/share/sikiliza/|$ROOT/usr/share/sikiliza/|" \
    -e "s|^listen = .*|listen = 127.0.0.1:$(sk_free_port)|" \
    -e "s|^admin_listen = .*|admin_listen = 127.0.0.1:$(sk_free_port)|" \
    "$CONF" >"$SK_CONF"
grep -q "^dir = $ROOT/usr/share/sikiliza/flows " "$SK_CONF" ||
    sk_fail "the serve config does not use the installed flows"
SK_BIN=$ROOT/usr/bin/sikiliza
sk_start
code=$(sk_http "$WORK/hi.json" --data-urlencode "from=+254700000101" \
    --data-urlencode "text=hi" --data-urlencode "id=install-1" \
    "$SK_URL/c/demo/receive?secret=$SECRET")
[ "$code" = 200 ] || sk_fail "message: HTTP $code: $(cat "$WORK/hi.json")"
sk_contains "$(jq -r '.messages | join("\n")' "$WORK/hi.json")" \
    "Reply 1 English, 2 Français, 3 العربية" "the first question"
ADMIN=$(sed -n "s/^admin_listen = //p" "$SK_CONF")
code=$(sk_http "$WORK/flows.json" \
    -H "Authorization: Bearer $(cat "$ROOT/etc/sikiliza/admin.token")" \
    "http://$ADMIN/api/flows")
[ "$code" = 200 ] || sk_fail "admin API with the written token: HTTP $code"
sk_contains "$(cat "$WORK/flows.json")" "Wellbeing Check" "GET /api/flows"
sk_stop
[ -f "$ROOT/var/lib/sikiliza/sikiliza.db" ] ||
    sk_fail "the database is not in /var/lib/sikiliza"
SK_BIN=$SRC_BIN

# --- the .deb -----------------------------------------------------------------------
if ! command -v cpack >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    sk_log "no cpack or dpkg-deb: the .deb is not tested"
    exit 0
fi
cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$SK_TMP/pkg" \
    >"$WORK/cpack.out" 2>&1 || sk_fail "cpack failed: $(tail -n 5 "$WORK/cpack.out")"
DEB=$(ls "$SK_TMP"/pkg/sikiliza_*.deb 2>/dev/null | head -n 1)
[ -n "$DEB" ] || sk_fail "cpack made no sikiliza_*.deb"
dpkg-deb -c "$DEB" >"$WORK/deb.list" || sk_fail "dpkg-deb -c failed"
for f in ./usr/bin/sikiliza ./usr/lib/systemd/system/sikiliza.service \
    ./usr/share/sikiliza/install-service ./usr/share/sikiliza/flows/wellbeing_check.json \
    ./usr/share/doc/sikiliza/examples/sikiliza.conf.example ./usr/share/doc/sikiliza/copyright; do
    grep -q " $f\$" "$WORK/deb.list" || sk_fail "the .deb has no $f"
done
grep -q ' \./etc/' "$WORK/deb.list" && sk_fail "the .deb ships files in /etc"
dpkg-deb -I "$DEB" >"$WORK/deb.info" || sk_fail "dpkg-deb -I failed"
info=$(cat "$WORK/deb.info")
for want in "Package: sikiliza" "Architecture: " "libevent" "libsqlite3" "passwd" \
    "postinst" "prerm" "postrm"; do
    sk_contains "$info" "$want" "dpkg-deb -I"
done
dpkg-deb -e "$DEB" "$WORK/control"
for s in postinst prerm postrm; do
    cmp -s "$WORK/control/$s" "$SK_SOURCE_DIR/deploy/debian/$s" ||
        sk_fail "the .deb's $s is not deploy/debian/$s"
    [ "$(stat -c %a "$WORK/control/$s")" = 755 ] || sk_fail "$s is not 755"
done

# dpkg into an empty tree: the maintainer scripts run outside a chroot
# with DPKG_ROOT set, as for an image being built.
DR=$SK_TMP/dpkgroot
mkdir -p "$DR/var/lib/dpkg/info" "$DR/var/lib/dpkg/updates"
: >"$DR/var/lib/dpkg/status"
: >"$DR/var/lib/dpkg/available"
dpkgr() {
    dpkg --root="$DR" --force-script-chrootless --force-depends "$@" \
        >>"$WORK/dpkg.out" 2>&1 || sk_fail "dpkg $*: $(tail -n 8 "$WORK/dpkg.out")"
}
dpkgr -i "$DEB"
[ -x "$DR/usr/bin/sikiliza" ] || sk_fail "dpkg -i: no /usr/bin/sikiliza"
grep -q '^sikiliza:' "$DR/etc/passwd" || sk_fail "postinst created no user"
duid=$(grep '^sikiliza:' "$DR/etc/passwd" | cut -d: -f3)
[ "$(mode_of "$DR/etc/sikiliza/secret.key")" = "600 $duid $duid" ] ||
    sk_fail "postinst: secret.key is $(mode_of "$DR/etc/sikiliza/secret.key")"
grep -q '^dir = /usr/share/sikiliza/flows ' "$DR/etc/sikiliza/sikiliza.conf" ||
    sk_fail "postinst wrote no config with the installed flows"
key=$(sha256sum <"$DR/etc/sikiliza/secret.key")
if command -v systemctl >/dev/null 2>&1; then
    [ -L "$DR/etc/systemd/system/multi-user.target.wants/sikiliza.service" ] ||
        sk_fail "postinst did not enable sikiliza.service"
fi
# Installing again (a reinstall or upgrade) keeps the key.
dpkgr -i "$DEB"
[ "$(sha256sum <"$DR/etc/sikiliza/secret.key")" = "$key" ] ||
    sk_fail "reinstalling the .deb rewrote the secret key"
dpkgr -r sikiliza
[ ! -e "$DR/usr/bin/sikiliza" ] || sk_fail "dpkg -r left the binary"
[ -f "$DR/etc/sikiliza/secret.key" ] || sk_fail "dpkg -r removed the key (purge only)"
grep -q '^sikiliza:' "$DR/etc/passwd" || sk_fail "dpkg -r removed the user (purge only)"
[ ! -e "$DR/etc/systemd/system/multi-user.target.wants/sikiliza.service" ] ||
    sk_fail "prerm did not disable sikiliza.service"
dpkgr --purge sikiliza
[ ! -e "$DR/etc/sikiliza" ] || sk_fail "purge left /etc/sikiliza"
[ ! -e "$DR/var/lib/sikiliza" ] || sk_fail "purge left /var/lib/sikiliza"
grep -q '^sikiliza:' "$DR/etc/passwd" "$DR/etc/group" &&
    sk_fail "purge left the sikiliza user or group"
sk_log "ok"
