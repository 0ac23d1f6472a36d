#!/usr/bin/env bash
# Recorded prompts: espeak-ng and sox make prompts at 22 kHz stereo in two
# languages, beside a corrupt, an empty, an over-long, a FLAC-named-.wav
# and badly named files. `sikiliza prompts check` converts the good ones to
# 8 kHz mono 16-bit PCM (into an output directory, then in place, then
# finds nothing left to convert) and reports each bad one with its file
# name and reason, exit 1. `serve` with [flows] prompts serves a converted
# prompt at /prompts/LANG/NAME.wav as audio/wav, byte for byte, and refuses
# ../ paths, encoded ones, bad names, the bad files and unknown names.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init prompts
sk_need_command serve keygen prompts
for tool in sox soxi espeak-ng cmp; do
    command -v "$tool" >/dev/null 2>&1 ||
        sk_skip "$tool is not installed (run deploy/install-deps)"
done

P=$SK_TMP/prompts
mkdir -p "$P/eng" "$P/fra"
# stereo22 TEXT VOICE OUT: a spoken prompt at 22050 Hz, two channels.
stereo22() {
    espeak-ng -v "$2" -w "$SK_TMP/say.wav" "$1"
    sox "$SK_TMP/say.wav" -r 22050 -c 2 -b 16 "$3"
}
stereo22 "Hello. How are you feeling today?" en "$P/eng/hello.wav"
stereo22 "Press one for yes, two for no." en "$P/eng/yes_no-1.wav"
stereo22 "Bonjour. Comment vas-tu aujourd'hui ?" fr "$P/fra/hello.wav"
[ "$(soxi -r "$P/eng/hello.wav")" = 22050 ] &&
    [ "$(soxi -c "$P/eng/hello.wav")" = 2 ] ||
    sk_fail "sox did not make a 22 kHz stereo prompt"
head -c 3000 /dev/urandom >"$P/eng/corrupt.wav"
: >"$P/eng/empty.wav"
sox -n -r 8000 -c 1 -b 16 "$P/eng/long.wav" synth 61 sine 440
sox "$SK_TMP/say.wav" -t flac "$P/eng/flac.wav"
cp "$P/eng/hello.wav" "$P/eng/bad name.wav"
echo "notes" >"$P/eng/readme.txt"
cp "$P/eng/hello.wav" "$P/stray.wav"

# Usage.
rc=0
sk_bin prompts >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "prompts without check: exit $rc, want 2"
rc=0
sk_bin prompts check >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "prompts check without DIR: exit $rc, want 2"
sk_bin prompts check --help | grep -q 'usage: sikiliza prompts check' ||
    sk_fail "prompts check --help does not show its usage"
rc=0
sk_bin prompts check "$SK_TMP/nope" >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || sk_fail "prompts check of a missing dir: exit $rc, want 1"

# is8k FILE: 8 kHz, mono, 16-bit signed PCM WAV.
is8k() {
    [ "$(soxi -t "$1")" = wav ] && [ "$(soxi -r "$1")" = 8000 ] &&
        [ "$(soxi -c "$1")" = 1 ] && [ "$(soxi -b "$1")" = 16 ] &&
        soxi -e "$1" | grep -q 'Signed Integer PCM'
}

# 1. Into an output directory: DIR is left as it is.
O=$SK_TMP/out
rc=0
sk_bin prompts check -o "$O" "$P" >"$SK_TMP/out1" 2>"$SK_TMP/err1" || rc=$?
[ "$rc" = 1 ] || sk_fail "prompts check with bad files: exit $rc, want 1"
for f in eng/hello.wav eng/yes_no-1.wav fra/hello.wav; do
    grep -qx "$f: ok, converted from 22050 Hz stereo" "$SK_TMP/out1" ||
        sk_fail "$f not reported converted: $(cat "$SK_TMP/out1")"
    is8k "$O/$f" || sk_fail "$O/$f is not 8 kHz mono 16-bit PCM"
done
[ "$(soxi -r "$P/eng/hello.wav")" = 22050 ] ||
    sk_fail "-o changed the source directory"
# about the same length as the source
d_in=$(soxi -D "$P/eng/hello.wav")
d_out=$(soxi -D "$O/eng/hello.wav")
awk -v a="$d_in" -v b="$d_out" 'BEGIN { exit !(a - b < 0.05 && b - a < 0.05) }' ||
    sk_fail "converted prompt lasts $d_out s, source $d_in s"
err=$(cat "$SK_TMP/err1")
sk_contains "$err" "$P/eng/corrupt.wav: corrupt" "corrupt file"
sk_contains "$err" "$P/eng/empty.wav: empty" "empty file"
sk_contains "$err" "$P/eng/long.wav: too long: 61.0 s (at most 60 s)" \
    "over-long file"
sk_contains "$err" "$P/eng/flac.wav: wrong format: FLAC, not WAV" \
    "FLAC named .wav"
sk_contains "$err" "$P/eng/bad name.wav: bad name" "bad name"
sk_contains "$err" "$P/eng/readme.txt: not a .wav file" "not a .wav"
sk_contains "$err" "$P/stray.wav: not in a language directory" "stray file"
[ "$(wc -l <"$SK_TMP/err1")" = 7 ] || sk_fail "more problems than expected: $err"
grep -qx 'prompts: 3 ok (3 converted), 7 bad' "$SK_TMP/out1" ||
    sk_fail "summary: $(tail -n 1 "$SK_TMP/out1")"
[ ! -e "$O/eng/corrupt.wav" ] || sk_fail "a bad prompt was written to -o"
[ -z "$(find "$O" "$P" -name '.*' -type f)" ] ||
    sk_fail "a temporary file was left behind"

# 2. In place, then once more: nothing left to convert, the files as they
# were.
rc=0
sk_bin prompts check "$P" >"$SK_TMP/out2" 2>/dev/null || rc=$?
[ "$rc" = 1 ] || sk_fail "in-place check: exit $rc, want 1"
is8k "$P/eng/hello.wav" || sk_fail "in place: eng/hello.wav not converted"
is8k "$P/fra/hello.wav" || sk_fail "in place: fra/hello.wav not converted"
cp "$P/eng/hello.wav" "$SK_TMP/hello.once"
rc=0
sk_bin prompts check "$P" >"$SK_TMP/out3" 2>/dev/null || rc=$?
[ "$rc" = 1 ] || sk_fail "second check: exit $rc, want 1"
grep -qx 'eng/hello.wav: ok' "$SK_TMP/out3" ||
    sk_fail "a converted prompt is converted again: $(cat "$SK_TMP/out3")"
grep -qx 'prompts: 3 ok (0 converted), 7 bad' "$SK_TMP/out3" ||
    sk_fail "second summary: $(tail -n 1 "$SK_TMP/out3")"
cmp -s "$P/eng/hello.wav" "$SK_TMP/hello.once" ||
    sk_fail "a second check changed a converted prompt"
# Only the good ones, nothing but them, once they are all good.
rm -f "$P/eng/corrupt.wav" "$P/eng/empty.wav" "$P/eng/long.wav" \
    "$P/eng/flac.wav" "$P/eng/bad name.wav" "$P/eng/readme.txt" \
    "$P/stray.wav"
sk_bin prompts check "$P" >/dev/null || sk_fail "all good: not exit 0"

# 3. Serve them. A corrupt one and a 22 kHz one put back are not served.
head -c 3000 /dev/urandom >"$P/eng/corrupt.wav"
stereo22 "Not converted." en "$P/eng/raw.wav"
GW=$SK_TMP/gw
SECRET=e2e-$RANDOM$RANDOM-secret
sk_conf "$GW" "$SECRET"
sed -i "s|^default = Wellbeing Check|&\nprompts = $P|" "$SK_CONF"
grep -q "^prompts = $P" "$SK_CONF" || sk_fail "could not set [flows] prompts"
sk_start
grep -q 'eng/corrupt.wav not served' "$SK_LOG" ||
    sk_fail "serve did not say it left the corrupt prompt out"
grep -q 'eng/raw.wav not served: not 8 kHz mono' "$SK_LOG" ||
    sk_fail "serve did not say it left the unconverted prompt out"

H=$SK_TMP/headers
code=$(sk_http "$SK_TMP/got.wav" -D "$H" "$SK_URL/prompts/eng/hello.wav")
[ "$code" = 200 ] || sk_fail "GET /prompts/eng/hello.wav: $code"
grep -qi '^content-type: audio/wav' "$H" || sk_fail "not audio/wav: $(cat "$H")"
cmp -s "$SK_TMP/got.wav" "$P/eng/hello.wav" ||
    sk_fail "the served prompt is not the file"
code=$(sk_http "$SK_TMP/got2.wav" "$SK_URL/prompts/fra/hello.wav")
[ "$code" = 200 ] || sk_fail "GET /prompts/fra/hello.wav: $code"
cmp -s "$SK_TMP/got2.wav" "$P/fra/hello.wav" || sk_fail "fra/hello.wav differs"
code=$(sk_http "$SK_TMP/got3.wav" "$SK_URL/prompts/eng/yes_no-1.wav")
[ "$code" = 200 ] || sk_fail "GET /prompts/eng/yes_no-1.wav: $code"

for path in /prompts/eng/nope.wav /prompts/swa/hello.wav \
    /prompts/eng/corrupt.wav /prompts/eng/raw.wav; do
    code=$(sk_http "$SK_TMP/body" "$SK_URL$path")
    [ "$code" = 404 ] || sk_fail "GET $path: $code, want 404"
done
for path in "/prompts/../sikiliza.conf" "/prompts/eng/../../gw/secret.key" \
    "/prompts/eng/..%2f..%2fgw%2fsecret.key" "/prompts/%2e%2e/eng/hello.wav" \
    "/prompts/eng/hello.wav/x" "/prompts/eng/hello" "/prompts/eng/hello.WAV" \
    "/prompts/eng/hel.lo.wav" "/prompts/eng/.wav" "/prompts/eng/" \
    "/prompts/eng" "/prompts/" "/prompts/e%6Eg/hello.wav"; do
    code=$(sk_http "$SK_TMP/body" --path-as-is "$SK_URL$path")
    [ "$code" = 400 ] || sk_fail "GET $path: $code, want 400"
    ! grep -q '^\[privacy\]\|[0-9a-f]\{64\}' "$SK_TMP/body" ||
        sk_fail "GET $path leaked a file"
done
code=$(sk_http "$SK_TMP/body" -X POST "$SK_URL/prompts/eng/hello.wav")
[ "$code" = 405 ] || sk_fail "POST a prompt: $code, want 405"
sk_alive
sk_stop

# A prompts directory that is not there stops the start.
sed -i "s|^prompts = .*|prompts = $SK_TMP/nope|" "$SK_CONF"
rc=0
timeout 30 "$SK_BIN" serve -c "$SK_CONF" >"$SK_TMP/nostart" 2>&1 || rc=$?
[ "$rc" != 0 ] && [ "$rc" != 124 ] ||
    sk_fail "serve with a missing prompts dir: exit $rc"
grep -q 'prompts' "$SK_TMP/nostart" ||
    sk_fail "no word of the prompts dir: $(cat "$SK_TMP/nostart")"
sk_log "ok"
