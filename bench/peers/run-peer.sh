#!/usr/bin/env bash
# Starts one benchmark peer in the foreground (exec, so the caller's pid is
# the server's pid and taskset/kill apply to the server itself):
#   bench/peers/run-peer.sh fastapi|node-ws|uws --port P --secret S --audience all|followers
# Installs the peer's dependencies on first use (npm ci / Debian packages).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
peer="${1:-}"; shift || true
port=8000 secret=secret audience=all
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --secret) secret="$2"; shift 2 ;;
    --audience) audience="$2"; shift 2 ;;
    *) echo "run-peer.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

node_deps() {
  if [[ ! -d "$here/$1/node_modules" ]]; then
    (cd "$here/$1" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

case "$peer" in
  fastapi)
    if ! /usr/bin/python3 -c 'import fastapi, uvicorn, websockets, jwt' 2>/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-fastapi python3-uvicorn python3-websockets python3-jwt >&2
    fi
    exec /usr/bin/python3 "$here/fastapi/server.py" --port "$port" --secret "$secret" --audience "$audience" ;;
  node-ws|uws)
    node_deps "$peer"
    exec node "$here/$peer/server.js" --port "$port" --secret "$secret" --audience "$audience" ;;
  *)
    echo "usage: run-peer.sh fastapi|node-ws|uws --port P --secret S --audience all|followers" >&2
    exit 2 ;;
esac
