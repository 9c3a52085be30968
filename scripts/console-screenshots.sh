#!/usr/bin/env bash
# Screenshots of the qpush console for the docs (docs/console/*.png):
# starts a real qpush-server on free loopback ports with demo data (a
# namespace with an APNs entry, connected demo clients, pushes with acks),
# runs qpush-admin --screenshots under xvfb-run and stops everything again.
# usage: scripts/console-screenshots.sh [BUILD_DIR] [OUT_DIR]
# needs: xvfb-run (Debian xvfb), openssl, curl, node + tests/interop/node_modules
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
OUT=${2:-docs/console}
SERVER_BIN=$BUILD/server/qpush-server
ADMIN_BIN=$BUILD/admin-gui/qpush-admin
for f in "$SERVER_BIN" "$ADMIN_BIN"; do
  [ -x "$f" ] || { echo "missing $f: cmake --build $BUILD --target qpush-server qpush-admin" >&2; exit 1; }
done
for tool in xvfb-run openssl curl node; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
[ -d tests/interop/node_modules/socket.io-client-4 ] || { echo "run: npm ci --prefix tests/interop" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=""
CLIENTS_PID=""
cleanup() {
  [ -n "$CLIENTS_PID" ] && kill "$CLIENTS_PID" 2>/dev/null || true
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

ADMIN_PASSWORD="demo-$(openssl rand -hex 8)"
cat > "$WORK/config.yaml" <<YAML
socket_ip: 127.0.0.1
socket_port: 0
logic_ip: 127.0.0.1
logic_port: 0
data_dir: "$WORK/data"
admin_name: admin
admin_passwd: "$ADMIN_PASSWORD"
worker_message_timeout: 500
log_level: warning
YAML
mkdir -p "$WORK/data"
"$SERVER_BIN" --config "$WORK/config.yaml" > "$WORK/server.out" 2> "$WORK/server.err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  grep -q 'qpush-server listening' "$WORK/server.out" 2>/dev/null && break
  sleep 0.1
done
line=$(grep 'qpush-server listening' "$WORK/server.out") || { cat "$WORK/server.err" >&2; exit 1; }
SOCKET_PORT=$(sed -E 's/.*socket=[^:]+:([0-9]+).*/\1/' <<<"$line")
API_PORT=$(sed -E 's/.*api=[^:]+:([0-9]+).*/\1/' <<<"$line")
API="http://127.0.0.1:$API_PORT"
echo "== qpush-server on socket $SOCKET_PORT, api $API_PORT"

admin() { curl -fsS -u "admin:$ADMIN_PASSWORD" -H 'content-type: application/json' "$@"; }
auth() { curl -fsS -u "/demo:demo-pass" -H 'content-type: application/json' "$@"; }

# A push certificate like Apple's (topic in the subject's UID).
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
  -subj "/UID=com.example.demo/CN=Apple Push Services: com.example.demo" 2>/dev/null
json_string() { node -e 'process.stdout.write(JSON.stringify(require("fs").readFileSync(process.argv[1], "utf8")))' "$1"; }
CERT=$(json_string "$WORK/cert.pem")
KEY=$(json_string "$WORK/key.pem")
for ns in "/demo:Demo app" "/chat:Chat service" "/news:Newsroom" "/legacy:Old app (retired)"; do
  key=${ns%%:*}; name=${ns#*:}
  admin -X POST "$API/api/admin/namespace/save" \
    -d "{\"key\":\"$key\",\"name\":\"$name\",\"auth_passwd\":\"${key#/}-pass\"}" >/dev/null
done
admin -X POST "$API/api/admin/namespace/save" -d "{\"key\":\"/legacy\",\"offline\":\"on\"}" >/dev/null
admin -X POST "$API/api/admin/namespace/save" -d "{\"key\":\"/demo\",
  \"connect_callback\":\"\",\"apns_list\":[{\"name\":\"main\",\"apns_env\":\"production\",
  \"apns_topic\":\"com.example.demo\",\"apns_production_cert\":$CERT,\"apns_production_key\":$KEY},
  {\"name\":\"beta\",\"apns_env\":\"dev\",\"apns_topic\":\"com.example.demo.beta\",
  \"token_keyId\":\"ABC123DEFG\",\"token_teamId\":\"TEAM123456\"}]}" >/dev/null

node scripts/console-demo-clients.js "http://127.0.0.1:$SOCKET_PORT" /demo --seconds 180 > "$WORK/clients.out" 2>&1 &
CLIENTS_PID=$!
for _ in $(seq 1 100); do grep -q ready "$WORK/clients.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$WORK/clients.out" || { cat "$WORK/clients.out" >&2; exit 1; }

for i in 1 2 3; do
  auth -X POST "$API/api/auth/push" -d "{\"room\":\"news\",\"pushData\":{\"title\":\"Morning news #$i\"},\"leaveMessage\":true}" >/dev/null
  auth -X POST "$API/api/auth/push" -d "{\"room\":\"sports\",\"pushData\":{\"title\":\"Score update $i\"},\"apnsName\":\"main\"}" >/dev/null
done
auth -X POST "$API/api/auth/push" -d '{"room":"weather","pushData":{"title":"Storm warning"},"extra":"lost"}' >/dev/null
auth -X POST "$API/api/auth/push" -d '{"room":"news","pushData":{"title":"Breaking: qpush console released","body":"Screenshots inside"},"leaveMessage":true,"apnsName":"main"}' >/dev/null
sleep 1

mkdir -p "$OUT"
echo "== screenshots to $OUT"
XDG_CONFIG_HOME="$WORK/config" QPUSH_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  xvfb-run -a -s "-screen 0 1400x900x24 -dpi 96" \
  "$ADMIN_BIN" --screenshots "$OUT" --server "$API" --user admin --select /demo --client '/demo#u1#ios-iphone1'
ls -1 "$OUT"/*.png
