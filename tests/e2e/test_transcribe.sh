#!/usr/bin/env bash
# `sikiliza transcribe` on real recorded speech from pocketsphinx-testdata:
# cards/ through its JSGF grammar, at 16 kHz and converted to the 8 kHz
# telephone band with sox, and two librivox/ sentences through the
# language model; word error is computed here and printed. espeak-ng
# yes/no answers at 8 kHz through a yes/no grammar are counted right,
# wrong or not understood (printed). Empty, text, truncated and huge files
# are refused with exit 1, a missing grammar too; a bad option is exit 2.
set -euo pipefail

# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
sk_init transcribe
sk_need_command transcribe
for tool in sox espeak-ng; do
    command -v "$tool" >/dev/null 2>&1 ||
        sk_skip "$tool is not installed (run deploy/install-deps)"
done
DATA=/usr/share/pocketsphinx/test/data
[ -d "$DATA/cards" ] && [ -d "$DATA/librivox" ] ||
    sk_skip "pocketsphinx-testdata is not installed (run deploy/install-deps)"
W=$SK_TMP

# tel IN OUT: the 8 kHz telephone band (200-3400 Hz), 16-bit mono.
tel() {
    sox "$1" -r 8000 -c 1 -b 16 "$2" sinc 200-3400 2>/dev/null
}

# wer REF HYP: prints "errors words" (word-level Levenshtein distance).
wer() {
    awk -v r="$1" -v h="$2" 'BEGIN {
        n = split(r, a, " "); m = split(h, b, " ");
        for (i = 0; i <= n; i++) d[i, 0] = i;
        for (j = 0; j <= m; j++) d[0, j] = j;
        for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) {
            c = d[i-1, j-1] + (a[i] != b[j]);
            if (d[i-1, j] + 1 < c) c = d[i-1, j] + 1;
            if (d[i, j-1] + 1 < c) c = d[i, j-1] + 1;
            d[i, j] = c;
        }
        print d[n, m], n }'
}

# score NAME LIMIT_PERCENT LIST: LIST lines are "file<TAB>reference"; args
# after the list are passed to transcribe.
score() {
    local name=$1 limit=$2 list=$3 errs=0 words=0 f ref out e n
    shift 3
    while IFS=$'\t' read -r f ref; do
        out=$(sk_bin transcribe "$f" "$@") ||
            sk_fail "$name: transcribe $f failed"
        read -r e n < <(wer "$ref" "${out%%$'\t'*}")
        errs=$((errs + e))
        words=$((words + n))
    done <"$list"
    sk_log "$name: word error $((100 * errs / words))% ($errs/$words)"
    [ $((100 * errs)) -le $((limit * words)) ] ||
        sk_fail "$name: word error above $limit%"
}

: >"$W/cards16" && : >"$W/cards8"
while read -r line; do
    id=${line##*(}
    id=${id%)}
    ref=$(sed -e 's/<s>//; s/<\/s>.*//; s/^ *//; s/ *$//' <<<"$line")
    printf '%s\t%s\n' "$DATA/cards/$id.wav" "$ref" >>"$W/cards16"
    tel "$DATA/cards/$id.wav" "$W/$id-8k.wav"
    printf '%s\t%s\n' "$W/$id-8k.wav" "$ref" >>"$W/cards8"
done <"$DATA/cards/cards.transcription"
score "cards grammar 16 kHz" 10 "$W/cards16" --grammar "$DATA/cards/cards.gram"
score "cards grammar 8 kHz" 10 "$W/cards8" --grammar "$DATA/cards/cards.gram"

: >"$W/libri8"
for id in 0880 0930; do
    f=$DATA/librivox/sense_and_sensibility_01_austen_64kb-$id.wav
    ref=$(grep "$id)" "$DATA/librivox/transcription" |
        sed -e 's/<s>//; s/<\/s>.*//; s/^ *//; s/ *$//')
    tel "$f" "$W/libri-$id.wav"
    printf '%s\t%s\n' "$W/libri-$id.wav" "$ref" >>"$W/libri8"
done
# the open language model on telephone audio: printed, loosely bounded
score "librivox language model 8 kHz" 60 "$W/libri8"

# espeak-ng answers at 8 kHz through a yes/no grammar
cat >"$W/yesno.gram" <<'GRAM'
#JSGF V1.0;
grammar yesno;
public <answer> = yes | no;
GRAM
right=0 wrong=0 total=0
for voice in en-us en-gb-x-rp en-gb-scotland; do
    for speed in 130 170; do
        for word in yes no; do
            espeak-ng -v "$voice" -s "$speed" -w "$W/e.wav" "$word"
            tel "$W/e.wav" "$W/e8.wav"
            out=$(sk_bin transcribe "$W/e8.wav" --grammar "$W/yesno.gram")
            total=$((total + 1))
            case ${out%%$'\t'*} in
            "$word") right=$((right + 1)) ;;
            "") ;;
            *) wrong=$((wrong + 1)) ;;
            esac
        done
    done
done
sk_log "espeak-ng yes/no 8 kHz: $right right, $wrong wrong of $total"
[ $((100 * right)) -ge $((80 * total)) ] ||
    sk_fail "yes/no: fewer than 80% right"

# refused cleanly: exit 1 and a message, never a transcript
refuse() {
    local name=$1 rc=0
    shift
    sk_bin transcribe "$@" >"$W/out" 2>"$W/err" || rc=$?
    [ "$rc" = 1 ] || sk_fail "$name: exit $rc, expected 1"
    [ ! -s "$W/out" ] || sk_fail "$name: printed a transcript"
    [ -s "$W/err" ] || sk_fail "$name: no message"
}
: >"$W/empty.wav"
refuse "empty" "$W/empty.wav"
echo "not audio at all" >"$W/text.wav"
refuse "text" "$W/text.wav"
head -c 30 "$DATA/cards/001.wav" >"$W/trunc.wav"
refuse "truncated header" "$W/trunc.wav"
sox -n -r 8000 -c 1 -b 16 "$W/long.wav" trim 0 130 2>/dev/null
refuse "130 s" "$W/long.wav"
head -c 9000000 /dev/zero >"$W/huge.wav"
refuse "9 MB" "$W/huge.wav"
refuse "missing file" "$W/none.wav"
refuse "missing grammar" "$DATA/cards/001.wav" --grammar "$W/none.gram"
rc=0
sk_bin transcribe --bogus >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || sk_fail "bad option: exit $rc, expected 2"
sk_log "ok"
