#!/usr/bin/env bash
# TLS beside plain: the same Herald binary without and with --tls-cert, run
# by herald-loadgen without and with --tls, scenario by scenario (each step
# runs both back to back, so a drift of the machine falls on both alike):
# idle connections (set-up CPU and memory per connection), ping round trips,
# chat closed loop. Server on CPU 0, load generator on CPU 1, as run-bench.sh.
# The certificate is a self-signed P-256 one made here with openssl; the
# loader makes a full handshake per connection (no resumption) and checks
# no certificate.
# Results: docs/bench/tls.jsonl (one JSON line per run, the machine and the
# commands); bench/scripts/report.py puts them in docs/BENCHMARKS.md
# ("TLS beside plain"), run-bench.sh passes them on when the file exists.
#
#   bench/scripts/run-tls.sh [--quick] [--herald PATH] [--loadgen PATH] [--report]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
mode=full herald="$root/build/herald" loadgen="$root/build/herald-loadgen" report=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick; shift ;;
    --herald) herald="$2"; shift 2 ;;
    --loadgen) loadgen="$2"; shift 2 ;;
    --report) report=1; shift ;;
    *) echo "run-tls.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x "$herald" && -x "$loadgen" ]] || { echo "run-tls.sh: build herald and herald-loadgen first" >&2; exit 2; }

secret="bench-secret-0123456789abcdef0123456789"
port=18900
server_cpu=0 loadgen_cpu=1
if [[ "$(nproc)" -lt 2 ]]; then server_cpu=0 loadgen_cpu=0; fi
out_dir="$root/docs/bench"
mkdir -p "$out_dir"
results="$out_dir/tls.jsonl"
: >"$results"
work="$(mktemp -d /tmp/herald-tls-bench.XXXXXX)"
server_pid=""
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [[ $mode == quick ]]; then
  d=2 w=0.5 idle=1000 ping_conns=100 pairs=50
else
  d=10 w=2 idle=3000 ping_conns=500 pairs=200
fi

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=herald-bench -addext subjectAltName=IP:127.0.0.1 2>/dev/null ||
  { echo "run-tls.sh: openssl could not make a certificate" >&2; exit 2; }

json_str() { /usr/bin/python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
record() { echo "$1" >>"$results"; }

stop_server() {
  if [[ -n "$server_pid" ]]; then
    kill "$server_pid" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
    server_pid=""
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT

# run_case herald|herald-tls loadgen-args...
run_case() {
  local label="$1"; shift
  local data="$work/data-$RANDOM$RANDOM" tls_flags=() loader_flags=()
  mkdir -p "$data"
  port=$((port + 1))
  if [[ $label == herald-tls ]]; then
    tls_flags=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
    loader_flags=(--tls)
  fi
  # The flags of run-bench.sh's Herald, plus the certificate.
  local cmd=("$herald" serve --port "$port" --data-dir "$data" --jwt-secret "$secret" --presence-audience followers
             --workers 1 --rate-limit 1000000 --rate-burst 1000000 --max-connections-per-address 0
             --log-level warn "${tls_flags[@]}")
  taskset -c "$server_cpu" "${cmd[@]}" >"$work/$label.log" 2>&1 &
  server_pid=$!
  local up=0
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then up=1; break; fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ $up == 0 ]]; then
    echo "!! $label did not start: $(tail -c 300 "$work/$label.log")" >&2
    stop_server
    return 1
  fi
  sleep 0.3  # settle before the RSS baseline
  echo ">> $label: herald-loadgen ${loader_flags[*]} $*" >&2
  # As recorded: the repository's paths, the port and directories as placeholders.
  local shown="taskset -c $server_cpu ${cmd[*]}"
  shown="${shown//$root\//}" shown="${shown//$data/DATA}" shown="${shown//$work/TMP}" shown="${shown//--port $port/--port P}"
  record "{\"scenario\":\"_command\",\"label\":\"$label\",\"metrics\":{\"server\":$(json_str "$shown"),\"loadgen\":$(json_str "taskset -c $loadgen_cpu herald-loadgen --port P --secret S --server-pid PID --label $label ${loader_flags[*]:+${loader_flags[*]} }$*")}}"
  taskset -c "$loadgen_cpu" "$loadgen" --port "$port" --secret "$secret" --server-pid "$server_pid" \
    --label "$label" --json "$results" "${loader_flags[@]}" "$@" >"$work/last.out" 2>&1
  local rc=$?
  grep -E '^  .*(_per_s|_p99_us|per_conn|per_round|per_message|failed)' "$work/last.out" >&2
  [[ $rc -ne 0 ]] && echo "   (run reported failure, rc=$rc)" >&2
  stop_server
  return 0
}

record "{\"scenario\":\"_machine\",\"label\":\"machine\",\"metrics\":{\"mode\":\"$mode\",\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"commit\":\"$(git -C "$root" rev-parse --short HEAD 2>/dev/null)\",\"cpu\":$(json_str "$(lscpu | sed -n 's/^Model name: *//p')"),\"openssl\":$(json_str "$(openssl version | cut -d' ' -f1-2)")}}"
for label in herald herald-tls; do run_case "$label" --scenario connect --connections "$idle" --concurrency 256 --hold 1; done
for label in herald herald-tls; do
  run_case "$label" --scenario ping --connections "$ping_conns" --window 8 --duration "$d" --warmup "$w"
done
for label in herald herald-tls; do
  run_case "$label" --scenario chat --pairs "$pairs" --window 16 --duration "$d" --warmup "$w"
done

if [[ $report == 1 ]]; then
  /usr/bin/python3 "$root/bench/scripts/report.py" --results "$out_dir/results.jsonl" --out "$root/docs/BENCHMARKS.md" \
    --plots "$out_dir" --micro "$out_dir/micro.json" --tls "$results"
fi
