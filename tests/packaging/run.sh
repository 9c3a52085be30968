#!/usr/bin/env bash
# The packaging test (CTest "packaging", label packaging):
#   1. cpack builds the .debs (qpush-server, qpush-admin) from the build tree;
#   2. lintian: no errors on either (warnings are printed; docs/packaging.md
#      explains the ones left);
#   3. systemd-analyze verify and security on the packaged unit;
#   4. a fresh Debian 12 chroot (debootstrap, cached as a tarball under
#      <build>/packaging-cache) gets `apt-get install ./qpush-server_*.deb`,
#      so every dependency comes from Debian;
#   5. the server starts from the installed files the way the unit starts it
#      (ExecStartPre, ExecStart, User, Environment, WorkingDirectory read from
#      the installed unit) with the packaged config; /health answers, a
#      namespace is created, one push reaches a socket.io client (node, on the
#      host, against the chroot's loopback port) and its ack is reported;
#   6. the package is upgraded over itself: the store, the generated admin
#      password and an edited conffile are kept;
#   7. purge: every file of `dpkg -L` is gone, the user and /etc/qpush too, and
#      nothing named qpush is left but the documented data dir /var/lib/qpush.
# Needs root (chroot, mounts), debootstrap, lintian, systemd-analyze, node,
# curl and network access to the Debian mirror (QPUSH_DEBIAN_MIRROR).
#   run.sh <source dir> <build dir>
set -euo pipefail

SRC=$(cd "${1:?source dir}" && pwd)
BIN=$(cd "${2:?build dir}" && pwd)
MIRROR=${QPUSH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
WORK=$BIN/packaging-test
CACHE=$BIN/packaging-cache
ROOT=$WORK/rootfs
SERVER_PID=""

say() { echo "== packaging: $*"; }
fail() {
  echo "FAIL packaging: $*" >&2
  exit 1
}

for tool in cpack dpkg-deb lintian debootstrap systemd-analyze node curl chroot setpriv; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup.sh installs it)"
done
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot, mounts)"
[ -d "$SRC/tests/interop/node_modules/socket.io-client-4" ] ||
  fail "tests/interop/node_modules is missing: npm ci --prefix tests/interop"

# --- cleanup: stop what we started, unmount, never delete through a mount ---
unmount_all() {
  local m
  for m in proc dev/pts dev var/cache/apt/archives; do
    if mountpoint -q "$ROOT/$m" 2>/dev/null; then umount -l "$ROOT/$m" || true; fi
  done
}
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    sleep 1
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  unmount_all
}
trap cleanup EXIT

remove_root() {
  unmount_all
  if [ -d "$ROOT" ]; then
    if grep -q " $ROOT/" /proc/mounts; then fail "$ROOT still has mounts; not removing it"; fi
    rm -rf --one-file-system "$ROOT"
  fi
}

mkdir -p "$WORK" "$CACHE/apt-archives"
remove_root
rm -rf "$WORK/debs" && mkdir -p "$WORK/debs"

# --- 1. the packages --------------------------------------------------------
say "cpack -G DEB"
(cd "$BIN" && cpack -G DEB -B "$WORK/debs" >"$WORK/cpack.log" 2>&1) ||
  { cat "$WORK/cpack.log"; fail "cpack failed"; }
SERVER_DEB=$(ls "$WORK"/debs/qpush-server_*.deb)
ADMIN_DEB=$(ls "$WORK"/debs/qpush-admin_*.deb 2>/dev/null || true)
for deb in $SERVER_DEB $ADMIN_DEB; do
  say "$(basename "$deb"): $(dpkg-deb -f "$deb" Depends)"
done
dpkg-deb -f "$SERVER_DEB" Depends | grep -q "libqt6core6" ||
  fail "qpush-server's Depends lacks the computed Qt libraries"

# --- 2. lintian ----------------------------------------------------------------
for deb in $SERVER_DEB $ADMIN_DEB; do
  say "lintian $(basename "$deb")"
  lintian --allow-root --tag-display-limit 0 --fail-on error "$deb" | tee "$WORK/lintian-$(basename "$deb").txt" ||
    fail "lintian reports errors on $(basename "$deb")"
done

# --- 3. the unit ----------------------------------------------------------------
rm -rf "$WORK/extract" && mkdir -p "$WORK/extract"
dpkg-deb -x "$SERVER_DEB" "$WORK/extract"
UNIT=$WORK/extract/usr/lib/systemd/system/qpush-server.service
[ -f "$UNIT" ] || fail "the package has no /usr/lib/systemd/system/qpush-server.service"
say "systemd-analyze verify"
# verify resolves the unit's dependencies (sysinit.target, ...) and ExecStart=
# under --root, and runs man(1) for Documentation=man:... pages: a root with
# the host's units plus the package's files, MANPATH on the package's pages.
VROOT=$WORK/verify-root
rm -rf "$VROOT" && mkdir -p "$VROOT/usr/lib/systemd/system"
cp -a /usr/lib/systemd/system/. "$VROOT/usr/lib/systemd/system/"
cp -a "$WORK/extract/." "$VROOT/"
# ExecReload runs /bin/sh (dash, Essential: on every Debian system).
mkdir -p "$VROOT/bin" && cp -L /bin/sh "$VROOT/bin/sh"
MANPATH=$VROOT/usr/share/man systemd-analyze verify --root="$VROOT" \
  "$VROOT/usr/lib/systemd/system/qpush-server.service" >"$WORK/verify.txt" 2>&1 || true
cat "$WORK/verify.txt"
[ ! -s "$WORK/verify.txt" ] || fail "systemd-analyze verify reported the above"
say "systemd-analyze security"
systemd-analyze security --offline=yes --root="$VROOT" --no-pager \
  "$VROOT/usr/lib/systemd/system/qpush-server.service" >"$WORK/security.txt" 2>&1 ||
  true
tail -n 1 "$WORK/security.txt"
score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p' "$WORK/security.txt")
[ -n "$score" ] || fail "systemd-analyze security printed no score: $(tail -5 "$WORK/security.txt")"
awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }' || fail "exposure level $score is above 2.5"

# --- 4. the chroot ---------------------------------------------------------------
TARBALL=$CACHE/debian12-minbase.tar.gz
if [ ! -f "$TARBALL" ]; then
  say "debootstrap bookworm (cached afterwards in $TARBALL)"
  rm -rf --one-file-system "$CACHE/rootfs-new"
  debootstrap --variant=minbase bookworm "$CACHE/rootfs-new" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
    { tail -20 "$WORK/debootstrap.log"; fail "debootstrap failed"; }
  tar -C "$CACHE/rootfs-new" -czf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
  rm -rf --one-file-system "$CACHE/rootfs-new"
fi
mkdir -p "$ROOT"
tar -C "$ROOT" -xzf "$TARBALL"
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount --bind "$CACHE/apt-archives" "$ROOT/var/cache/apt/archives"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
echo "deb $MIRROR bookworm main" >"$ROOT/etc/apt/sources.list"
# No service starts inside the chroot (there is no systemd in it anyway).
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d" && chmod 755 "$ROOT/usr/sbin/policy-rc.d"
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
# Everything named qpush before the package comes (expected: nothing).
in_root sh -c 'find / -xdev -name "*qpush*" 2>/dev/null | sort' >"$WORK/qpush-files-before.txt"

say "apt-get install ./$(basename "$SERVER_DEB")"
cp "$SERVER_DEB" "$ROOT/tmp/"
in_root apt-get update -qq >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; fail "apt-get update"; }
in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$SERVER_DEB")" >>"$WORK/apt.log" 2>&1 ||
  { tail -30 "$WORK/apt.log"; fail "apt-get install of the server package failed"; }

# --- what the package set up -------------------------------------------------------
in_root getent passwd qpush >/dev/null || fail "no system user qpush"
[ "$(in_root stat -c '%U:%G %a' /etc/qpush/config.yaml)" = "root:qpush 640" ] ||
  fail "/etc/qpush/config.yaml is $(in_root stat -c '%U:%G %a' /etc/qpush/config.yaml), not root:qpush 640"
[ "$(in_root stat -c '%U %a' /var/lib/qpush)" = "qpush 700" ] || fail "/var/lib/qpush is not qpush's, mode 700"
in_root test -f /usr/share/man/man1/qpush-server.1.gz || fail "no man page"
in_root test -f /usr/share/doc/qpush-server/copyright || fail "no copyright file"
in_root qpush-server --version | grep -q "qpush-server" || fail "qpush-server --version"
in_root dpkg -L qpush-server | sort >"$WORK/dpkg-L.txt"

# --- 5. run it the way the unit does -------------------------------------------------
unit_value() { sed -n "s/^$1=//p" "$ROOT/usr/lib/systemd/system/qpush-server.service" | tail -n 1; }
RUN_USER=$(unit_value User)
RUN_DIR=$(unit_value WorkingDirectory)
RUN_ENV=$(unit_value Environment)
EXEC_START=$(unit_value ExecStart)
EXEC_PRE=$(unit_value ExecStartPre)
[ "$RUN_USER" = qpush ] && [ -n "$EXEC_START" ] && [ -n "$RUN_ENV" ] || fail "unexpected unit"
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
SOCK_PORT=$(free_port)
API_PORT=$(free_port)
while [ "$API_PORT" = "$SOCK_PORT" ]; do API_PORT=$(free_port); done
# The chroot shares the host's network: loopback only, free ports (the
# environment beats the packaged config, as for any installation).
NET_ENV="QPUSH_SOCKET_IP=127.0.0.1 QPUSH_LOGIC_IP=127.0.0.1 QPUSH_SOCKET_PORT=$SOCK_PORT QPUSH_LOGIC_PORT=$API_PORT"
as_service() { # runs in a subshell of its own when started with &: exec keeps $! the server's pid
  # shellcheck disable=SC2086
  exec chroot "$ROOT" /usr/bin/setpriv --reuid="$RUN_USER" --regid="$RUN_USER" --init-groups \
    /usr/bin/env -i PATH=/usr/bin:/bin $RUN_ENV $NET_ENV sh -c "cd $RUN_DIR && umask 077 && exec $*"
}
start_server() {
  say "ExecStartPre: $EXEC_PRE"
  (as_service "$EXEC_PRE") >>"$WORK/server.log" 2>&1 || { cat "$WORK/server.log"; fail "ExecStartPre failed"; }
  say "ExecStart as $RUN_USER: $EXEC_START (ports $SOCK_PORT, $API_PORT)"
  as_service "$EXEC_START" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  local i
  for i in $(seq 1 150); do
    if [ "$(curl -s --max-time 2 "http://127.0.0.1:$API_PORT/health" || true)" = hello ]; then return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; fail "the server exited"; }
    sleep 0.2
  done
  cat "$WORK/server.log"
  fail "no /health within 30 s"
}
stop_server() {
  kill -TERM "$SERVER_PID"
  local code=0
  wait "$SERVER_PID" || code=$?
  SERVER_PID=""
  [ "$code" -eq 0 ] || { cat "$WORK/server.log"; fail "the server exited with $code on SIGTERM"; }
}
: >"$WORK/server.log"
start_server
[ "$(curl -s "http://127.0.0.1:$SOCK_PORT/health")" = hello ] || fail "/health on the client port"
in_root test -f /var/lib/qpush/qpush.db || fail "the store is not in /var/lib/qpush"
[ "$(in_root stat -c '%U %a' /var/lib/qpush/admin_passwd)" = "qpush 600" ] ||
  fail "admin_passwd is not qpush's, mode 600"
ADMIN_PW=$(in_root cat /var/lib/qpush/admin_passwd)
[ "$(grep -c "admin password: $ADMIN_PW" "$WORK/server.log")" = 1 ] ||
  fail "the generated admin password was not printed exactly once"

api() { # method path user:password [json]
  local out code
  local data=()
  if [ $# -ge 4 ]; then data=(--data "$4"); fi
  out=$(curl -s -w '\n%{http_code}' -u "$3" -X "$1" -H 'content-type: application/json' \
    "${data[@]}" "http://127.0.0.1:$API_PORT$2")
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [ "$code" = 200 ] || fail "$1 $2 -> HTTP $code $out"
  printf '%s' "$out"
}
say "create namespace /pkgtest"
api POST /api/admin/namespace/save "admin:$ADMIN_PW" \
  '{"key":"/pkgtest","name":"packaging test","auth_passwd":"pkg-secret"}' >/dev/null
api GET /api/admin/namespace/list "admin:$ADMIN_PW" | grep -q '"/pkgtest"' || fail "namespace not listed"

say "socket.io client on 127.0.0.1:$SOCK_PORT/pkgtest"
coproc CLIENT { node "$SRC/tests/packaging/sioclient.js" "http://127.0.0.1:$SOCK_PORT/pkgtest" pkgroom 2>&1; }
CLIENT_PID=$CLIENT_PID
read -r -t 60 line <&"${CLIENT[0]}" || fail "the client did not connect"
[ "$line" = ready ] || fail "client: $line"
PUSH=$(api POST /api/auth/push "/pkgtest:pkg-secret" '{"room":"pkgroom","pushData":{"text":"from the package"}}')
say "push: $PUSH"
echo "$PUSH" | grep -q '"expectAckCount":1' || fail "the push did not count the client: $PUSH"
PUSH_ID=$(echo "$PUSH" | sed -n 's/.*"id":"\{0,1\}\([0-9]*\).*/\1/p')
read -r -t 60 line <&"${CLIENT[0]}" || fail "the client got no push"
say "client: $line"
case "$line" in "push "*'"from the package"'*) ;; *) fail "client: $line" ;; esac
wait "$CLIENT_PID" || fail "the client failed"
acked=""
for i in $(seq 1 50); do
  REPORT=$(api GET "/api/auth/report/push/$PUSH_ID" "/pkgtest:pkg-secret")
  if echo "$REPORT" | grep -q '"ackCount":1'; then acked=1 && break; fi
  sleep 0.2
done
[ -n "$acked" ] || fail "the report never counted the ack: $REPORT"
say "report: $REPORT"
stop_server

# --- 6. upgrade over itself: data and an edited conffile are kept ---------------------
echo "# edited by the operator" >>"$ROOT/etc/qpush/config.yaml"
DB_SUM=$(in_root sha256sum /var/lib/qpush/qpush.db)
say "upgrade: apt-get install --reinstall"
in_root apt-get install -y -q --reinstall "/tmp/$(basename "$SERVER_DEB")" >>"$WORK/apt.log" 2>&1 ||
  { tail -30 "$WORK/apt.log"; fail "reinstall failed"; }
grep -q "^# edited by the operator" "$ROOT/etc/qpush/config.yaml" || fail "the upgrade replaced the edited conffile"
[ "$(in_root stat -c '%U:%G %a' /etc/qpush/config.yaml)" = "root:qpush 640" ] || fail "conffile mode after upgrade"
[ "$(in_root sha256sum /var/lib/qpush/qpush.db)" = "$DB_SUM" ] || fail "the upgrade touched the store"
[ "$(in_root cat /var/lib/qpush/admin_passwd)" = "$ADMIN_PW" ] || fail "the upgrade changed the admin password"
start_server
api GET /api/admin/namespace/list "admin:$ADMIN_PW" | grep -q '"/pkgtest"' || fail "namespace lost by the upgrade"
api GET "/api/auth/report/push/$PUSH_ID" "/pkgtest:pkg-secret" | grep -q '"ackCount":1' ||
  fail "push report lost by the upgrade"
stop_server

# --- 7. purge ------------------------------------------------------------------------
say "apt-get purge qpush-server"
in_root apt-get purge -y -q qpush-server >>"$WORK/apt.log" 2>&1 || { tail -30 "$WORK/apt.log"; fail "purge failed"; }
while read -r f; do
  [ -d "$ROOT$f" ] && continue # shared directories (/usr/bin, ...) stay
  if [ -e "$ROOT$f" ] || [ -L "$ROOT$f" ]; then fail "$f is still there after purge"; fi
done <"$WORK/dpkg-L.txt"
in_root getent passwd qpush >/dev/null && fail "the user qpush is still there after purge"
in_root getent group qpush >/dev/null && fail "the group qpush is still there after purge"
[ -e "$ROOT/etc/qpush" ] && fail "/etc/qpush is still there after purge"
in_root sh -c 'find / -xdev -name "*qpush*" 2>/dev/null | sort' >"$WORK/qpush-files-after.txt"
stray=$(grep -v -x -F -f "$WORK/qpush-files-before.txt" "$WORK/qpush-files-after.txt" |
  grep -v -E '^/var/lib/qpush(/|$)|^/tmp/qpush-server_' || true)
[ -z "$stray" ] || fail "left after purge: $stray"
in_root test -f /var/lib/qpush/qpush.db || fail "purge removed the data in /var/lib/qpush (documented to stay)"
say "left after purge, as documented: $(in_root ls /var/lib/qpush | tr '\n' ' ')"

remove_root
echo "packaging: 1 passed, 0 failed"
