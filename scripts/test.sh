#!/usr/bin/env bash
# Builds (if needed) and runs the whole test suite: unit, integration,
# store contract (SQLite, Redis, Redis Cluster) and interop with the npm
# clients. Needs what scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=default
if [ "${CI:-}" = "true" ]; then preset=ci; fi
if [ ! -f build/CMakeCache.txt ]; then cmake --preset "$preset" >/dev/null; fi
cmake --build build
if [ ! -d tests/interop/node_modules ]; then
  echo "tests/interop/node_modules is missing: run scripts/setup.sh (npm ci --prefix tests/interop)" >&2
  exit 1
fi
ctest --test-dir build --output-on-failure -j2 "$@"
