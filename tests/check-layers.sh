#!/bin/bash
# The layers, by include: flows/ (the engine and the ground floor) includes
# nothing of gateway/ or audio/, and audio/ includes nothing of gateway/.
# A header belongs to a layer:
#  - a header inside gateway/, flows/ or audio/ to that folder;
#  - a header of include/ to the folder of its implementation file
#    (include/store.h goes with gateway/store.c);
#  - a header of include/ without one to the folders that define the
#    functions it declares (the highest of them), and when it declares
#    none that are defined, to the highest layer of what it includes.
# Every file of a layer (its sources and its headers in include/) is
# checked: a flows header in include/ that includes a gateway header fails
# as a flows source would. Prints each violation as
# "FILE (LAYER) includes HEADER (LAYER)".
set -euo pipefail
cd "${SK_SOURCE_DIR:?}"

declare -A layer_of rank
rank[flows]=0
rank[audio]=1
rank[gateway]=2

# The folder (flows, audio or gateway) of a source file, by its path.
dir_layer() {
    case "$1" in
    flows/*) echo flows ;;
    audio/*) echo audio ;;
    gateway/*) echo gateway ;;
    *) echo "" ;;
    esac
}

# The higher of two layers ("" is lower than every layer).
higher() {
    if [ -z "$1" ]; then
        echo "$2"
    elif [ -z "$2" ] || [ "${rank[$1]}" -ge "${rank[$2]}" ]; then
        echo "$1"
    else
        echo "$2"
    fi
}

# The path of the header an #include "name" in file means: beside the
# file, then include/, then the private folders; "" when none.
resolve() {
    local file=$1 name=$2 d
    for d in "$(dirname "$file")" include gateway/channels gateway flows audio; do
        if [ -f "$d/$name" ]; then
            echo "$d/$name"
            return
        fi
    done
    echo ""
}

# The quoted includes of a file, one a line.
includes_of() {
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}

# The layer of a header (see the top); $2 guards against include loops.
header_layer() {
    local h=$1 depth=${2:-0} base d l="" fn def inc p
    if [ -n "${layer_of[$h]+x}" ]; then
        echo "${layer_of[$h]}"
        return
    fi
    l=$(dir_layer "$h")
    if [ -z "$l" ]; then
        base=$(basename "$h" .h)
        for d in flows audio gateway gateway/channels; do
            if [ -f "$d/$base.c" ]; then
                l=$(higher "$l" "$(dir_layer "$d/")")
            fi
        done
    fi
    if [ -z "$l" ]; then
        # the functions it declares: NAME( after a type, at the line start
        while IFS= read -r fn; do
            while IFS= read -r def; do
                l=$(higher "$l" "$(dir_layer "$def")")
            done < <(grep -rlE "^$fn\(" --include='*.c' flows audio gateway \
                2>/dev/null || true)
        done < <(sed -nE 's/^[a-z][a-z0-9_ ]*[ *]+([a-z_][a-z0-9_]*)\(.*/\1/p' "$h" |
            sort -u)
    fi
    if [ -z "$l" ] && [ "$depth" -lt 8 ]; then
        while IFS= read -r inc; do
            p=$(resolve "$h" "$inc")
            [ -n "$p" ] && [ "$p" != "$h" ] &&
                l=$(higher "$l" "$(header_layer "$p" $((depth + 1)))")
        done < <(includes_of "$h")
    fi
    [ -z "$l" ] && l=flows # types only, including nothing: the ground floor
    layer_of[$h]=$l
    echo "$l"
}

bad=0
checked=0
# the files of a layer: its folder, and the headers of include/ that are its
while IFS= read -r -d '' f; do
    case "$f" in
    include/*) own=$(header_layer "$f") ;;
    *) own=$(dir_layer "$f") ;;
    esac
    [ "$own" = gateway ] && continue
    checked=$((checked + 1))
    while IFS= read -r inc; do
        p=$(resolve "$f" "$inc")
        if [ -z "$p" ]; then
            echo "$f ($own) includes $inc, which is not in the tree"
            bad=1
            continue
        fi
        l=$(header_layer "$p")
        if [ "${rank[$l]}" -gt "${rank[$own]}" ]; then
            echo "$f ($own) includes $p ($l)"
            bad=1
        fi
    done < <(includes_of "$f")
done < <(find flows audio include -name '*.[ch]' -print0 | sort -z)

if [ "$checked" -eq 0 ]; then
    echo "no file of flows/ or audio/ found: nothing checked"
    exit 1
fi
[ "$bad" -eq 0 ] && echo "layers kept: $checked files of flows/ and audio/ checked"
exit "$bad"
