#!/usr/bin/env bash
# Runs clang-tidy (Debian 12: clang-tidy-14) with the repository's .clang-tidy
# over the C++ sources of server/, shared/ and admin-gui/, with the compile
# commands of a configured and built tree (default build/; the build makes the
# generated headers the sources include). Fails on any finding: .clang-tidy
# turns every enabled check into an error. Run by .ci/run after the test
# suite; docs/development.md says which checks and why.
#   scripts/check-tidy.sh [build-dir]        (QPUSH_TIDY_JOBS=N: parallel runs)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=${QPUSH_TIDY_JOBS:-$(nproc)}
RUN_TIDY=${RUN_CLANG_TIDY:-run-clang-tidy-14}
TIDY=${CLANG_TIDY:-clang-tidy-14}
for tool in "$RUN_TIDY" "$TIDY"; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/setup.sh" >&2; exit 1; }
done
if [ ! -f "$build/compile_commands.json" ]; then
  echo "$build/compile_commands.json is missing: configure and build first (cmake --preset ci)" >&2
  exit 1
fi
# The product's sources only: tests, benchmarks and generated files stay out.
files="^$PWD/(server|shared|admin-gui)/.*\\.cpp\$"
start=$(date +%s)
status=0
"$RUN_TIDY" -clang-tidy-binary "$(command -v "$TIDY")" -p "$build" -j "$jobs" -quiet "$files" \
  >"$build/clang-tidy.log" 2>&1 || status=$?
grep -E '(warning|error): ' "$build/clang-tidy.log" | sort -u || true
echo "clang-tidy: $(grep -c "^$(command -v "$TIDY") " "$build/clang-tidy.log" || true) files in" \
  "$(( $(date +%s) - start )) s; full log in $build/clang-tidy.log"
exit "$status"
