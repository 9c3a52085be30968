#!/usr/bin/env bash
# Several-node benchmark (issue 15): one redis-server and NODES qpush-server
# nodes (Redis store) on this machine, qpush-bench spreading its websocket
# clients (and its client worker processes) evenly over the nodes.
#   1. idle: CLIENTS connections, RSS per connection per node, Redis
#      used_memory;
#   2. fan-out: FAN_CLIENTS clients in one room spanning every node, pushes
#      through one node's REST API at FAN_RATES per second: deliveries per
#      second and per CPU-second summed over the nodes and Redis, last-client
#      latency p50/p99; once with clients acking every push (each ack is a
#      receipt written to Redis), once without acks.
# Prints the figures and keeps the JSON lines in --json FILE (default
# /tmp/qpush-cluster-bench.jsonl). Loopback only; everything started here is
# stopped on exit. Bounded: every phase has a fixed length.
#
#   bench/cluster.sh [--build-dir DIR] [--nodes 6] [--clients 100000]
#                    [--fan-clients 100000] [--fan-rates 1,2,5] [--seconds 5]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=$ROOT/build-bench
NODES=6
CLIENTS=100000
FAN_CLIENTS=100000
FAN_RATES=1,2,5
SECONDS_PER_RATE=5
JSON=/tmp/qpush-cluster-bench.jsonl
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR=$(realpath -m "$2"); shift ;;
    --nodes) NODES=$2; shift ;;
    --clients) CLIENTS=$2; shift ;;
    --fan-clients) FAN_CLIENTS=$2; shift ;;
    --fan-rates) FAN_RATES=$2; shift ;;
    --seconds) SECONDS_PER_RATE=$2; shift ;;
    --json) JSON=$(realpath -m "$2"); shift ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "cluster.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

if [ -z "${QPUSH_SERVER:-}" ] && { [ ! -x "$BUILD_DIR/server/qpush-server" ] || [ ! -x "$BUILD_DIR/bench/qpush-bench/qpush-bench" ]; }; then
  echo "== build ($BUILD_DIR)"
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DQPUSH_BUILD_TESTS=OFF -DQPUSH_BUILD_ADMIN_GUI=OFF -DQPUSH_BUILD_BENCH=ON >/dev/null
  fi
  cmake --build "$BUILD_DIR" --target qpush-server qpush-bench -j"$(nproc)" >/dev/null
fi
QPUSH_SERVER=${QPUSH_SERVER:-$BUILD_DIR/server/qpush-server}
QPUSH_BENCH=${QPUSH_BENCH:-$BUILD_DIR/bench/qpush-bench/qpush-bench}

# Every process here may hold ~20 000 descriptors (the machine's cap); raise
# the soft limit to the hard one where allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "# open files per process: $(ulimit -n); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"

WORK=$(mktemp -d /tmp/qpush-cluster-bench.XXXXXX)
PIDS=()
REDIS_PID=""
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$REDIS_PID" ]; then kill "$REDIS_PID" 2>/dev/null || true; wait "$REDIS_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  --maxclients 10000 >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

SOCKETS=(); APIS=(); NODE_PIDS=()
start_nodes() {
  SOCKETS=(); APIS=(); NODE_PIDS=(); PIDS=()
  redis-cli -p "$REDIS_PORT" flushall >/dev/null
  for i in $(seq 1 "$NODES"); do
    mkdir -p "$WORK/n$i"
    cat >"$WORK/n$i.yaml" <<YAML
socket_ip: 127.0.0.1
socket_port: 0
logic_ip: 127.0.0.1
logic_port: 0
data_dir: $WORK/n$i
store: redis
redis_address: 127.0.0.1:$REDIS_PORT
admin_passwd: benchadmin
log_level: warning
YAML
    "$QPUSH_SERVER" --config "$WORK/n$i.yaml" >"$WORK/n$i.log" 2>&1 &
    PIDS+=($!); NODE_PIDS+=($!)
  done
  for i in $(seq 1 "$NODES"); do
    local line=""
    for _ in $(seq 1 300); do
      line=$(grep -m1 'listening socket=' "$WORK/n$i.log" || true)
      [ -n "$line" ] && break
      sleep 0.1
    done
    [ -n "$line" ] || { echo "cluster.sh: node $i did not start" >&2; cat "$WORK/n$i.log" >&2; exit 1; }
    SOCKETS+=("$(sed -E 's/.*socket=([^ ]+).*/\1/' <<<"$line")")
    APIS+=("$(sed -E 's/.*api=([^ ]+).*/\1/' <<<"$line")")
  done
  curl -fsS -u admin:benchadmin -H 'Content-Type: application/json' \
    -d '{"key":"/bench","auth_passwd":"x"}' "http://${APIS[0]}/api/admin/namespace/save" >/dev/null
  sleep 2 # the namespace reaches every node (control plane, at most 1 s)
}
stop_nodes() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
}
join() { local IFS=,; echo "$*"; }

echo "== [${SECONDS}s] idle: $CLIENTS websocket clients over $NODES nodes"
start_nodes
"$QPUSH_BENCH" --label "qpush-${NODES}n" --scenario idle --socket "$(join "${SOCKETS[@]}")" \
  --server-pid "$(join "${NODE_PIDS[@]}")" --redis-pid "$REDIS_PID" --redis-port "$REDIS_PORT" \
  --clients "$CLIENTS" --per-worker 15000 --hold 3 --settle 3 --json "$JSON"
stop_nodes

echo "== [${SECONDS}s] fan-out: $FAN_CLIENTS clients in one room over $NODES nodes, $FAN_RATES pushes/s"
start_nodes
"$QPUSH_BENCH" --label "qpush-${NODES}n" --scenario fanout --socket "$(join "${SOCKETS[@]}")" \
  --api "${APIS[0]}" --server-pid "$(join "${NODE_PIDS[@]}")" --redis-pid "$REDIS_PID" \
  --redis-port "$REDIS_PORT" --clients "$FAN_CLIENTS" --per-worker 15000 --rates "$FAN_RATES" \
  --seconds "$SECONDS_PER_RATE" --drain 30 --settle 3 --stop-saturated --json "$JSON"
stop_nodes

echo "== [${SECONDS}s] fan-out, clients not acking: $FAN_CLIENTS clients over $NODES nodes, $FAN_RATES pushes/s"
start_nodes
"$QPUSH_BENCH" --label "qpush-${NODES}n" --scenario fanout --socket "$(join "${SOCKETS[@]}")" \
  --api "${APIS[0]}" --server-pid "$(join "${NODE_PIDS[@]}")" --redis-pid "$REDIS_PID" \
  --redis-port "$REDIS_PORT" --clients "$FAN_CLIENTS" --per-worker 15000 --rates "$FAN_RATES" \
  --seconds "$SECONDS_PER_RATE" --drain 30 --settle 3 --stop-saturated --no-ack --json "$JSON"
stop_nodes
echo "== [${SECONDS}s] done; JSON lines in $JSON"
