#!/usr/bin/env bash
# Smoke test of the load generator (run by `make test` through ctest): 50
# connections for 2 s of ping, then 25 chat pairs for 2 s, against either a
# server already listening (--port P --secret S) or one this script starts:
# --herald BIN (Herald on a free port with a fresh data dir) or
# --peer fastapi|node-ws|uws. Exits non-zero when a run fails or delivers
# nothing. Figures are printed, never asserted (issue 3: no timed tests).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
loadgen="" port="" secret="smoke-secret-0123456789abcdef0123" herald="" peer=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --loadgen) loadgen="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --secret) secret="$2"; shift 2 ;;
    --herald) herald="$2"; shift 2 ;;
    --peer) peer="$2"; shift 2 ;;
    *) echo "smoke.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$loadgen" ]]; then
  for candidate in "$root/build/herald-loadgen" "$root/build-bench/herald-loadgen"; do
    [[ -x "$candidate" ]] && loadgen="$candidate" && break
  done
fi
[[ -x "$loadgen" ]] || { echo "smoke.sh: herald-loadgen not found (build it first)" >&2; exit 2; }

server_pid="" tmp=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  [[ -n "$tmp" ]] && rm -rf "$tmp"
  return 0
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

if [[ -n "$herald" || -n "$peer" ]]; then
  port="$(free_port)"
  tmp="$(mktemp -d)"
  if [[ -n "$herald" ]]; then
    "$herald" serve --port "$port" --data-dir "$tmp" --jwt-secret "$secret" --presence-audience followers \
      --workers 1 --rate-limit 1000000 --rate-burst 1000000 --max-connections-per-address 0 \
      --log-level warn >"$tmp/server.log" 2>&1 &
  else
    "$root/bench/peers/run-peer.sh" "$peer" --port "$port" --secret "$secret" --audience followers \
      >"$tmp/server.log" 2>&1 &
  fi
  server_pid=$!
  if ! wait_port "$port"; then
    echo "smoke.sh: server did not start; its log:" >&2
    cat "$tmp/server.log" >&2 || true
    exit 1
  fi
fi
[[ -n "$port" ]] || { echo "usage: smoke.sh --port P --secret S | --herald BIN | --peer NAME" >&2; exit 2; }

pid_args=()
[[ -n "$server_pid" ]] && pid_args=(--server-pid "$server_pid")
status=0
run() {
  local out
  if ! out="$("$loadgen" --port "$port" --secret "$secret" --label smoke "${pid_args[@]}" --timeout 10 "$@")"; then
    echo "$out"
    echo "smoke.sh: FAILED: herald-loadgen $*" >&2
    status=1
    return
  fi
  echo "$out" | grep -E '^(== |  .*(per_s|p99_us))' || true
}
run --scenario ping --connections 50 --window 4 --duration 2 --warmup 0.2
run --scenario chat --pairs 25 --window 4 --duration 2 --warmup 0.2
if [[ $status -eq 0 ]]; then echo "loadgen smoke: 2 passed, 0 failed"; else echo "loadgen smoke: failed"; fi
exit $status
