#!/bin/bash
# Every C source and header follows .clang-format (exit 77 = skipped).
set -euo pipefail
cd "${SK_SOURCE_DIR:?}"
if ! command -v clang-format >/dev/null 2>&1; then
    echo "clang-format not installed: skipped"
    exit 77
fi
bad=0
while IFS= read -r -d '' f; do
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f"
        bad=1
    fi
done < <(find include flows gateway audio tests -name '*.[ch]' -print0)
exit "$bad"
