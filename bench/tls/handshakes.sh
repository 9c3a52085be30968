#!/usr/bin/env bash
# TLS handshakes per second of qpush-server (issue 16): starts the built
# binary on loopback with a self-signed P-256 certificate (generated here)
# and runs `openssl s_time -new` (one client, a full handshake per
# connection, then close) for a bounded time per protocol version. Prints
# the figures; not a test. The client runs on the same machine, so the
# figure is a lower bound of what the server alone can do.
#
#   bench/tls/handshakes.sh [path/to/qpush-server] [seconds per run, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build/server/qpush-server}
SECONDS_PER_RUN=${2:-5}
WORK=$(mktemp -d)
PID=
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
cat > "$WORK/config.yaml" <<YAML
socket_ip: 127.0.0.1
socket_port: 0
logic_ip: 127.0.0.1
logic_port: 0
data_dir: "$WORK"
admin_name: admin
admin_passwd: adminpw
log_level: warning
tls_cert: "$WORK/cert.pem"
tls_key: "$WORK/key.pem"
YAML
"$BIN" --config "$WORK/config.yaml" > "$WORK/out" 2> "$WORK/err" &
PID=$!
for _ in $(seq 100); do
  grep -q "listening" "$WORK/out" 2>/dev/null && break
  sleep 0.1
done
PORT=$(sed -n 's/.*api=[^:]*:\([0-9]*\).*/\1/p' "$WORK/out")
[ -n "$PORT" ] || { cat "$WORK/err"; echo "qpush-server did not start" >&2; exit 1; }

echo "qpush-server TLS handshakes, ECDSA P-256 certificate, one client (openssl s_time -new), ${SECONDS_PER_RUN} s each"
# Server CPU in clock ticks (utime + stime).
ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
HZ=$(getconf CLK_TCK)
for proto in -tls1_2 -tls1_3; do
  before=$(ticks)
  # s_time prints "N connections in Xs; ..." (client CPU seconds) and
  # "N connections in T real seconds, ..." (wall time): the latter is used.
  out=$(openssl s_time -connect "127.0.0.1:$PORT" -new "$proto" -time "$SECONDS_PER_RUN" \
    -CAfile "$WORK/cert.pem" 2>&1 | grep -E "connections in [0-9.]+ real seconds" | head -1 || true)
  n=$(echo "$out" | sed -n 's/^\([0-9]*\) connections in \([0-9.]*\) real seconds.*/\1/p')
  t=$(echo "$out" | sed -n 's/^\([0-9]*\) connections in \([0-9.]*\) real seconds.*/\2/p')
  if [ -n "$n" ] && [ -n "$t" ] && [ "$t" != 0 ]; then
    cpu=$(( $(ticks) - before ))
    awk -v n="$n" -v t="$t" -v p="${proto#-}" -v c="$cpu" -v hz="$HZ" 'BEGIN {
      printf "%s: %d handshakes in %s s (wall), %.0f handshakes/s; server CPU %.2f s, %.2f ms per handshake", p, n, t, n / t, c / hz, (c > 0 ? 1000 * c / hz / n : 0)
      if (c > 0) printf " (~%.0f handshakes per server CPU second)", n / (c / hz)
      printf "\n" }'
  else
    echo "${proto#-}: no figure ($out)"
  fi
done

# Memory of idle TLS connections: N clients complete a TLS 1.3 handshake on
# the client port and stay open (within the idle timeout); the server's RSS
# before and after, per connection. Bounded: the clients close at the end.
N=${TLS_IDLE_CONNECTIONS:-1000}
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$PID/status"; }
SOCKET_PORT=$(sed -n 's/.*socket=[^:]*:\([0-9]*\).*/\1/p' "$WORK/out")
before=$(rss)
node -e '
const tls = require("node:tls");
const [port, n, ca] = [Number(process.argv[1]), Number(process.argv[2]), require("node:fs").readFileSync(process.argv[3])];
const open = [];
let done = 0;
const t = setTimeout(() => { console.error("timeout"); process.exit(1); }, 60000);
for (let i = 0; i < n; i++) {
  const s = tls.connect({ host: "127.0.0.1", port, ca, servername: "localhost" }, () => {
    open.push(s);
    if (++done === n) { console.log("open"); process.stdin.once("data", () => { for (const c of open) c.destroy(); clearTimeout(t); process.exit(0); }); }
  });
  s.on("error", (e) => { console.error(e.message); process.exit(1); });
}
' "$SOCKET_PORT" "$N" "$WORK/cert.pem" > "$WORK/node.out" 2>&1 < <(sleep 20; echo close) &
NODE=$!
for _ in $(seq 150); do grep -q open "$WORK/node.out" 2>/dev/null && break; sleep 0.1; done
sleep 1
after=$(rss)
wait "$NODE" || true
if grep -q open "$WORK/node.out"; then
  awk -v n="$N" -v b="$before" -v a="$after" 'BEGIN { printf "%d idle TLS connections: server RSS %d -> %d KB, %.1f KB per connection\n", n, b, a, (a - b) / n }'
else
  echo "idle TLS connections: no figure ($(cat "$WORK/node.out"))"
fi

