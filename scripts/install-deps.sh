#!/usr/bin/env bash
# Installs every Debian package Herald needs to build, test and run.
# Idempotent: packages already present are skipped, so `make run` and
# `make test` can call it on every invocation at almost no cost.
set -euo pipefail

PACKAGES=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config make
  # libraries (DESIGN.md "Stack")
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libjwt-dev libssl-dev libsodium-dev libsqlite3-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  libhiredis-dev libpq-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-pytest python3-websockets python3-requests python3-jwt
  sqlite3 procps redis-server postgresql
  # the cluster's worked example (docs/OPERATIONS.md): nginx in front of the nodes
  nginx curl
  # the JS SDK, the demo app and the browser tests (tests/e2e): Debian's
  # chromium, driven by playwright-core from npm; no other browser is fetched
  chromium
  # fuzzing (make fuzz): clang 19, since Debian's default clang 14 cannot
  # compile libstdc++'s <expected>; libFuzzer is in its runtime package
  clang-19 libclang-rt-19-dev
)

# Node 20 and npm: Debian's nodejs/npm unless a node is already installed
# (a newer one from elsewhere is kept).
if ! command -v node >/dev/null; then PACKAGES+=(nodejs); fi
if ! command -v npm >/dev/null; then PACKAGES+=(npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts nginx on port 80 when it is installed: Herald's example runs
# its own nginx on loopback, so the system one is switched off again.
if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null; then
  $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
fi
