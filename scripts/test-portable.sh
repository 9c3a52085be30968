#!/usr/bin/env bash
# Builds qpush with the portable fallbacks forced on Linux (-DQPUSH_PORTABLE=ON:
# Qt's own event dispatcher instead of epoll, one send() per buffer instead of
# sendmsg gather writes, pipe() + fcntl signal pipe) in build-portable/, and
# runs the test suite on it: the code paths Windows and macOS use, proven here.
# Left out: the packaging test (it tests the packages, built once from build/),
# the format check (same sources), and the epoll-only tests (the epoll
# dispatcher and the epoll-driven stress test are not built in this mode).
# Run by .ci/run after scripts/test.sh; extra arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."

werror=OFF
if [ "${CI:-}" = "true" ]; then werror=ON; fi
cmake -S . -B build-portable -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DQPUSH_PORTABLE=ON -DQPUSH_WERROR=$werror -DQPUSH_BUILD_BENCH=OFF >/dev/null
cmake --build build-portable
ctest --test-dir build-portable --output-on-failure -j2 -LE "packaging|lint" "$@"
