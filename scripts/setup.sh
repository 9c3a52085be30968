#!/usr/bin/env bash
# Installs everything qpush needs on Debian 12 (as root, or with sudo),
# then configures and builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git clang-format clang-tidy-14
  qt6-base-dev qt6-websockets-dev qt6-httpserver-dev libsqlite3-dev
  libhiredis-dev libyaml-cpp-dev libssl-dev
  redis-server redis-tools
  curl
  libsystemd-dev
  dpkg-dev debootstrap lintian systemd rpm xz-utils
  clang libfuzzer-14-dev libclang-rt-14-dev
  gnuplot-nox
  qt6-charts-dev libqt6opengl6-dev qtkeychain-qt6-dev qt6-svg-dev libqt6svg6 openssl
  xvfb xauth
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js: keep whatever node/npm the machine has (e.g. a newer one that
# bundles npm); Debian's packages only when there is none.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node packages of the interop tests and the benchmark reference server.
for dir in tests/interop bench/reference; do
  if [ -f "$dir/package-lock.json" ]; then
    echo "== npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

preset=default
if [ "${CI:-}" = "true" ]; then preset=ci; fi
echo "== building (preset $preset)"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
echo "== built: build/server/qpush-server"
