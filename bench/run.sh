#!/usr/bin/env bash
# Regenerates docs/BENCHMARKS.md: builds qpush-server and qpush-bench, runs
# every scenario against qpush (embedded SQLite store) and the Node.js
# socket.io@4 reference (bench/reference), one server after the other with
# the same parameters, and writes the report and its latency plot.
#
#   bench/run.sh            full run (a few minutes)
#   bench/run.sh --quick    smaller steps, about a minute
#
# Options: --build-dir DIR (default build-bench), --out FILE (default
# docs/BENCHMARKS.md), --keep (keep the work directory with the raw results),
# --servers "qpush qpush-redis reference" (which servers, in order;
# qpush-redis is qpush on the Redis store of a redis-server started here,
# fan-out and unicast only, its CPU counted with redis-server's).
# Loopback only; every server started here is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MODE=full
BUILD_DIR=$ROOT/build-bench
OUT=$ROOT/docs/BENCHMARKS.md
KEEP=0
SERVERS="qpush qpush-redis reference"
CMDLINE="bench/run.sh $*"
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) MODE=quick ;;
    --build-dir) BUILD_DIR=$(realpath -m "$2"); shift ;;
    --out) OUT=$(realpath -m "$2"); shift ;;
    --keep) KEEP=1 ;;
    --servers) SERVERS=$2; shift ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ "$MODE" = quick ]; then
  IDLE_CLIENTS=1000,5000,10000
  IDLE_HOLD=1
  FAN_CLIENTS=10000
  FAN_RATES=1,2,5,10,20
  FAN_SECONDS=2
  UNI_CLIENTS=5000
  UNI_RATES=1000,5000,20000
  UNI_SECONDS=2
else
  IDLE_CLIENTS=1000,5000,10000,19000
  IDLE_HOLD=3
  FAN_CLIENTS=10000
  FAN_RATES=1,2,5,10,20,50,100
  FAN_SECONDS=4
  UNI_CLIENTS=5000
  UNI_RATES=1000,2000,5000,10000,20000
  UNI_SECONDS=4
fi

echo "== build ($BUILD_DIR)"
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DQPUSH_BUILD_TESTS=OFF -DQPUSH_BUILD_ADMIN_GUI=OFF -DQPUSH_BUILD_BENCH=ON >/dev/null
fi
cmake --build "$BUILD_DIR" --target qpush-server qpush-bench -j"$(nproc)" >/dev/null
QPUSH_SERVER=$BUILD_DIR/server/qpush-server
QPUSH_BENCH=$BUILD_DIR/bench/qpush-bench/qpush-bench

if [ ! -d bench/reference/node_modules/socket.io ]; then
  echo "== npm ci in bench/reference"
  (cd bench/reference && npm ci --no-audit --no-fund --loglevel=error)
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d /tmp/qpush-bench.XXXXXX)
RESULTS=$WORK/results.jsonl
: >"$RESULTS"
SERVER_PID=""
REDIS_PID=""
REDIS_PORT=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
  if [ "$KEEP" = 0 ]; then rm -rf "$WORK"; else echo "raw results kept in $WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# One redis-server for the qpush-redis runs, persisting as a durable
# deployment would (append-only file, fsync every second); emptied before each.
start_redis() {
  if [ -z "$REDIS_PID" ]; then
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec \
      --dir "$WORK" >"$WORK/redis.log" 2>&1 &
    REDIS_PID=$!
    for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
}

SOCKET=""; API=""; RUN=0
# Starts a fresh server of the given kind; sets SERVER_PID, SOCKET, API.
start_server() {
  local kind=$1 log
  RUN=$((RUN + 1))
  log=$WORK/$kind-$RUN.log
  if [ "$kind" != reference ]; then
    mkdir -p "$WORK/data-$RUN"
    local store="store: sqlite"
    if [ "$kind" = qpush-redis ]; then
      start_redis
      store="store: redis
redis_address: 127.0.0.1:$REDIS_PORT"
    fi
    cat >"$WORK/qpush-$RUN.yaml" <<EOF
socket_ip: 127.0.0.1
socket_port: 0
logic_ip: 127.0.0.1
logic_port: 0
data_dir: $WORK/data-$RUN
$store
admin_passwd: benchadmin
log_level: warning
EOF
    "$QPUSH_SERVER" --config "$WORK/qpush-$RUN.yaml" >"$log" 2>&1 &
  else
    node bench/reference/server.js --auth /bench:x >"$log" 2>&1 &
  fi
  SERVER_PID=$!
  local line=""
  for _ in $(seq 1 300); do
    line=$(grep -m1 'listening socket=' "$log" || true)
    [ -n "$line" ] && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$line" ]; then echo "run.sh: $kind did not start:" >&2; cat "$log" >&2; exit 1; fi
  SOCKET=$(sed -E 's/.*socket=([^ ]+).*/\1/' <<<"$line")
  API=$(sed -E 's/.*api=([^ ]+).*/\1/' <<<"$line")
  if [ "$kind" != reference ]; then
    curl -fsS -u admin:benchadmin -H 'Content-Type: application/json' \
      -d '{"key":"/bench","auth_passwd":"x"}' "http://$API/api/admin/namespace/save" >/dev/null
  fi
}

stop_server() {
  local t0=$SECONDS
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  echo "   (server stopped in $((SECONDS - t0)) s)"
}

bench() {
  local extra=()
  if [ -n "$REDIS_PID" ] && [ "$CURRENT" = qpush-redis ]; then extra=(--redis-pid "$REDIS_PID"); fi
  "$QPUSH_BENCH" --server-pid "$SERVER_PID" "${extra[@]}" --json "$RESULTS" "$@"
}

for kind in $SERVERS; do
  CURRENT=$kind
  if [ "$kind" != qpush-redis ]; then
    echo "== [${SECONDS}s] $kind: idle ($IDLE_CLIENTS clients)"
    start_server "$kind"
    bench --label "$kind" --scenario idle --socket "$SOCKET" --clients "$IDLE_CLIENTS" --hold "$IDLE_HOLD"
    stop_server
  fi

  echo "== [${SECONDS}s] $kind: fan-out ($FAN_CLIENTS clients in one room, $FAN_RATES pushes/s)"
  start_server "$kind"
  bench --label "$kind" --scenario fanout --socket "$SOCKET" --api "$API" --clients "$FAN_CLIENTS" \
    --rates "$FAN_RATES" --seconds "$FAN_SECONDS" --drain 8 --stop-saturated
  stop_server

  if [ "$kind" != qpush-redis ]; then
    echo "== [${SECONDS}s] $kind: fan-out, clients not acking ($FAN_CLIENTS clients, $FAN_RATES pushes/s)"
    start_server "$kind"
    bench --label "$kind" --scenario fanout --socket "$SOCKET" --api "$API" --clients "$FAN_CLIENTS" \
      --rates "$FAN_RATES" --seconds "$FAN_SECONDS" --drain 8 --stop-saturated --no-ack
    stop_server
  fi

  echo "== [${SECONDS}s] $kind: unicast ($UNI_CLIENTS clients, $UNI_RATES pushes/s to random users)"
  start_server "$kind"
  bench --label "$kind" --scenario unicast --socket "$SOCKET" --api "$API" --clients "$UNI_CLIENTS" \
    --rates "$UNI_RATES" --seconds "$UNI_SECONDS" --drain 5
  stop_server
done

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== [${SECONDS}s] report"
PLOT=$(dirname "$OUT")/benchmarks-latency.png
node bench/report.js --results "$RESULTS" --out "$OUT" --plot "$PLOT" --work "$WORK" \
  --command "$CMDLINE" --mode "$MODE" \
  --load "$LOAD_BEFORE / $LOAD_AFTER" --server-bin "$QPUSH_SERVER"
echo "wrote $OUT and $PLOT"
