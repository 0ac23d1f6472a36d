#!/usr/bin/env bash
# Spoken closed-set answers measured on many synthetic voices: espeak-ng
# voices, variants, speeds and pitches, cut to the 8 kHz telephone band with
# sox, decoded by `sikiliza transcribe --choices` and counted per language
# and class as right, wrong (a choice, but not the one said) or not
# understood (""). Not a test: it prints figures and asserts nothing.
#
#   tests/bench/asr_voices.sh [held|tune|all] [LANG...]
#
# "tune" is the set of voices tests/e2e/test_asr_voices.sh uses (and that
# any tuning of audio/asr*.c may look at); "held" (the default) is a
# held-out set of other voices, variants, speeds and pitches that no tuning
# used: report these figures. LANG: eng fra swa ara (default: all four).
# SK_BIN (default: build-bench/sikiliza) is the binary; TMPDIR holds the
# audio for the run, or ASR_VOICES_KEEP=DIR keeps it (and each class's
# transcripts, DIR/SET/LANG.CLASS.out) for the next run.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${SK_BIN:-$SRC/build-bench/sikiliza}
SET=${1:-held}
shift || true
LANGS=${*:-eng fra swa ara}
for tool in sox espeak-ng; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "asr_voices: $tool is not installed" >&2
        exit 1
    }
done
[ -x "$BIN" ] || {
    echo "asr_voices: no binary at $BIN (set SK_BIN)" >&2
    exit 1
}
if [ -n "${ASR_VOICES_KEEP:-}" ]; then
    # a directory kept between runs: audio made once, outputs left there
    W=$ASR_VOICES_KEEP/$SET
    mkdir -p "$W"
else
    W=$(mktemp -d "${TMPDIR:-/tmp}/asr_voices.XXXXXX")
    trap 'rm -rf "$W"' EXIT
fi

# Voices as "voice speed pitch" (espeak-ng -v, -s, -p; pitch 50 is the
# default, 70-90 nearer a child's).
tune_voices() {
    case $1 in
    eng) V="en-us en-gb-x-rp en+f3 en+m3" ;;
    fra) V="fr fr+f3" ;;
    swa) V="sw sw+f3" ;;
    ara) V="ar ar+f3" ;;
    esac
    for v in $V; do
        for s in 140 180; do echo "$v $s 50"; done
    done
}
held_voices() {
    local v s p
    case $1 in
    eng) V="en-gb-scotland en-029+m1 en-us-nyc+f2 en-gb-x-gbclan+f4
            en-gb-x-gbcwmd+m5 en-gb+f5 en-us+m7 en-029+f1" ;;
    fra) V="fr-be fr-ch+m1 fr+f2 fr-be+f4 fr-ch+m5 fr+f5 fr+m7 fr-be+f1" ;;
    swa) V="sw+m1 sw+f2 sw+f4 sw+m5 sw+f5 sw+m7 sw+f1 sw+m2" ;;
    ara) V="ar+m1 ar+f2 ar+f4 ar+m5 ar+f5 ar+m7 ar+f1 ar+m2" ;;
    esac
    for v in $V; do
        for s in 120 160 200; do
            for p in 50 80; do echo "$v $s $p"; done
        done
    done
}
voices() {
    case $SET in
    tune) tune_voices "$1" ;;
    held) held_voices "$1" ;;
    all) tune_voices "$1"; held_voices "$1" ;;
    *) echo "asr_voices: set $SET (held, tune or all)" >&2; exit 2 ;;
    esac
}

# The classes of each language: "name|choices|words said" (a word said
# that is not among the choices is right when not understood).
classes() {
    case $1 in
    eng) echo "yes/no|yes,no|yes no"
         echo "digits|zero,one,two,three,four,five,six,seven,eight,nine|zero one two three four five six seven eight nine"
         echo "out-of-set|yes,no|maybe hello apple twenty what sorry" ;;
    fra) echo "oui/non|oui,non|oui non"
         echo "digits|zéro,un,deux,trois,quatre,cinq,six,sept,huit,neuf|zéro un deux trois quatre cinq six sept huit neuf" ;;
    swa) echo "ndiyo/hapana|ndiyo,hapana|ndiyo hapana"
         echo "digits|sifuri,moja,mbili,tatu,nne,tano,sita,saba,nane,tisa|sifuri moja mbili tatu nne tano sita saba nane tisa" ;;
    ara) echo "na'am/la|نعم,لا|نعم لا"
         echo "digits|صفر,واحد,اثنان,ثلاثة,أربعة,خمسة,ستة,سبعة,ثمانية,تسعة|صفر واحد اثنان ثلاثة أربعة خمسة ستة سبعة ثمانية تسعة" ;;
    esac
}

# make LANG CLASS WORDS: writes the class's audio and $W/LANG.CLASS.list
make_audio() {
    local lang=$1 cls=$2 words=$3 i=0 v s p w
    [ -s "$W/$lang.$cls.list" ] && return 0
    : >"$W/$lang.$cls.list"
    while read -r v s p; do
        for w in $words; do
            i=$((i + 1))
            espeak-ng -v "$v" -s "$s" -p "$p" -w "$W/raw.wav" "$w"
            sox "$W/raw.wav" -r 8000 -c 1 -b 16 "$W/$lang.$cls.$i.wav" \
                sinc 200-3400 2>/dev/null
            printf '%s\t%s\n' "$W/$lang.$cls.$i.wav" "$w" >>"$W/$lang.$cls.list"
        done
    done < <(voices "$lang")
}

printf '%-5s %-14s %6s %6s %6s %6s  %s\n' lang class n right wrong none \
    "(set: $SET)"
for lang in $LANGS; do
    while IFS='|' read -r name choices words; do
        cls=${name//[^a-z]/}
        make_audio "$lang" "$cls" "$words"
        cut -f1 "$W/$lang.$cls.list" | tr '\n' '\0' |
            xargs -0 "$BIN" transcribe --choices "$choices" --lang "$lang" \
                >"$W/$lang.$cls.out" 2>/dev/null
        cut -f2 "$W/$lang.$cls.out" | paste "$W/$lang.$cls.list" - |
            awk -F'\t' -v set=",$choices," -v lang="$lang" -v name="$name" '{
                said = $2; heard = $3
                if (heard == said ||
                    (heard == "" && index(set, "," said ",") == 0)) r++
                else if (heard == "") u++
                else { wr++; conf[said "->" heard]++ }
            } END {
                printf "%-5s %-14s %6d %5.0f%% %5.0f%% %5.0f%%", lang, name,
                    NR, 100 * r / NR, 100 * wr / NR, 100 * u / NR
                sep = "  "
                for (c in conf) { printf "%s%s:%d", sep, c, conf[c]; sep = " " }
                printf "\n"
            }'
    done < <(classes "$lang")
done
