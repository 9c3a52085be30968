#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang, AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz/, then runs each for a bounded
# time, starting from the seed corpus (tests/fuzz/corpus/<target>/) and the
# regression inputs (tests/fuzz/regressions/<target>/). Prints executions per
# second per target; exits non-zero when a target crashed, leaked or hung
# (the input is saved in build-fuzz/artifacts/<target>/). See docs/fuzzing.md.
#
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_TARGETS  space-separated subset (default: all)
#   FUZZ_ARGS     extra libFuzzer options, e.g. "-jobs=2 -workers=2"
set -euo pipefail
cd "$(dirname "$0")/.."

ALL_TARGETS="http_request ws_frame eio_packet eio_payload sio_v4 sio_v5 rest config_yaml"
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-$ALL_TARGETS}
build=build-fuzz

command -v clang++ >/dev/null || { echo "clang++ is missing: run scripts/setup.sh" >&2; exit 1; }
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DQPUSH_FUZZ=ON -DQPUSH_BUILD_TESTS=OFF \
    -DQPUSH_BUILD_ADMIN_GUI=OFF -DQPUSH_BUILD_BENCH=OFF -DQPUSH_STORE_BENCH=OFF >/dev/null
fi
build_targets=()
for t in $targets; do build_targets+=("fuzz-$t"); done
cmake --build "$build" --target "${build_targets[@]}"

dict_for() {
  case "$1" in
    http_request) echo tests/fuzz/dict/http_request.dict ;;
    sio_v4 | sio_v5 | rest) echo tests/fuzz/dict/json.dict ;;
    config_yaml) echo tests/fuzz/dict/config_yaml.dict ;;
  esac
}

failed=()
report=()
for t in $targets; do
  work="$build/corpus/$t"         # inputs found by earlier runs (not committed)
  artifacts="$build/artifacts/$t" # crashing inputs
  log="$build/logs/$t.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$artifacts/")
  dict=$(dict_for "$t")
  if [ -n "$dict" ]; then args+=(-dict="$dict"); fi
  dirs=("$work" "tests/fuzz/corpus/$t")
  if [ -d "tests/fuzz/regressions/$t" ]; then dirs+=("tests/fuzz/regressions/$t"); fi
  echo "== fuzz-$t: $seconds s"
  status=0
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of options
  "$build/tests/fuzz/fuzz-$t" "${args[@]}" ${FUZZ_ARGS:-} "${dirs[@]}" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  report+=("$(printf '%-14s %12s execs %9s execs/s  %s' "$t" "${execs:-?}" "${rate:-?}" \
    "$([ "$status" -eq 0 ] && echo ok || echo "FAILED (exit $status)")")")
  if [ "$status" -ne 0 ]; then
    failed+=("$t")
    echo "fuzz-$t failed (exit $status); the end of $log:" >&2
    tail -n 40 "$log" >&2
    ls -1 "$artifacts" >&2 || true
  fi
done

echo "== fuzz summary (${seconds} s per target)"
printf '%s\n' "${report[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]} (inputs in $build/artifacts/)" >&2
  exit 1
fi
