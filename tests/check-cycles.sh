#!/bin/bash
# No two parts include or call each other in a loop. A part is a file name
# without .c or .h: gateway/http.c and include/http.h are the part "http".
#  - include graph: every #include "x.h" in gateway/, flows/, audio/ and
#    include/ is an edge from the including part to part x;
#  - call graph: an object of the core library (SK_CORE_LIB) that uses a
#    symbol another object defines is an edge between their parts.
# Loops listed in tests/cycles-allow.txt are printed and not counted; any
# other loop fails. A function registered as a callback (http.h) makes no
# edge: that is how a lower part calls back up.
set -euo pipefail
cd "${SK_SOURCE_DIR:?}"
allow=tests/cycles-allow.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

while IFS= read -r -d '' f; do
    from=$(basename "$f")
    from=${from%.*}
    sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)\.h".*/\1/p' "$f" |
        while IFS= read -r to; do
            echo "$from $(basename "$to")"
        done
done < <(find gateway flows audio include -name '*.[ch]' -print0) >"$tmp/include"

if [ -z "${SK_CORE_LIB:-}" ] || [ ! -f "$SK_CORE_LIB" ]; then
    echo "SK_CORE_LIB not set or missing: call graph skipped"
    : >"$tmp/call"
else
    nm -A --defined-only "$SK_CORE_LIB" 2>/dev/null |
        awk '$2 ~ /^[TDBR]$/ { n = split($1, a, ":"); print $3, a[n - 1] }' |
        sort -u >"$tmp/defs"
    nm -A --undefined-only "$SK_CORE_LIB" 2>/dev/null |
        awk '{ n = split($1, a, ":"); print $NF, a[n - 1] }' |
        sort -u >"$tmp/uses"
    join "$tmp/uses" "$tmp/defs" |
        awk '{ sub(/\.c\.o$/, "", $2); sub(/\.c\.o$/, "", $3); print $2, $3 }' |
        sort -u >"$tmp/call"
fi

bad=0
for kind in include call; do
    awk -f tests/loops.awk "$tmp/$kind" | while IFS= read -r loop; do
        if grep -qxF "$kind: $loop" "$allow" 2>/dev/null; then
            echo "allowed $kind loop (to be removed): $loop"
        else
            echo "$kind loop: $loop"
        fi
    done
done >"$tmp/report"
cat "$tmp/report"
if grep -q '^\(include\|call\) loop' "$tmp/report"; then
    bad=1
fi
if grep -rnE '^[[:space:]]*extern[[:space:]][^;]*\(' --include='*.c' \
    gateway flows audio; then
    echo "extern function declared in a source file: include its header"
    bad=1
fi
[ "$bad" -eq 0 ] && echo "no loop but the allowed ones"
exit "$bad"
