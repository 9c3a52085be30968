#!/usr/bin/env bash
# Fails when a tracked C++ file differs from the repository's .clang-format
# (clang-format 14, Debian 12). Run by CTest as the `format` test.
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
command -v "$CLANG_FORMAT" >/dev/null || { echo "clang-format is missing: run scripts/setup.sh" >&2; exit 1; }
git ls-files -z '*.cpp' '*.h' | xargs -0 "$CLANG_FORMAT" --dry-run --Werror
echo "clang-format: $(git ls-files '*.cpp' '*.h' | wc -l) files clean"
