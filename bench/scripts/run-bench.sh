#!/usr/bin/env bash
# `make bench` (full) and `make bench-quick` (--quick, under 3 minutes): every
# scenario of issue 3 against Herald and each peer, scenario by scenario
# (each step runs all servers back to back), one fresh server per run, the
# server pinned to CPU 0 and herald-loadgen to CPU 1 (taskset).
# Results go to docs/bench/results.jsonl (one JSON line per run, plus the
# machine and the exact commands), then bench/scripts/report.py writes
# docs/BENCHMARKS.md and the PNG plots in docs/bench/.
# A server that fails to start (e.g. build/herald not built yet) is skipped
# and the report says so.
#
#   bench/scripts/run-bench.sh [--quick] [--servers "herald fastapi node-ws uws"]
#                              [--herald PATH] [--loadgen PATH] [--scale "100000 200000"]
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
mode=full
servers="herald fastapi node-ws uws"
herald="$root/build/herald"
loadgen=""
scale=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) mode=quick; shift ;;
    --servers) servers="$2"; shift 2 ;;
    --herald) herald="$2"; shift 2 ;;
    --loadgen) loadgen="$2"; shift 2 ;;
    --scale) scale="$2"; shift 2 ;;
    *) echo "run-bench.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$loadgen" ]]; then
  for candidate in "$root/build/herald-loadgen" "$root/build-bench/herald-loadgen"; do
    [[ -x "$candidate" ]] && loadgen="$candidate" && break
  done
fi
[[ -x "$loadgen" ]] || { echo "run-bench.sh: herald-loadgen not found; build it (ninja herald-loadgen)" >&2; exit 2; }

secret="bench-secret-0123456789abcdef0123456789"
port=18800
server_cpu=0 loadgen_cpu=1
if [[ "$(nproc)" -lt 2 ]]; then server_cpu=0 loadgen_cpu=0; fi
out_dir="$root/docs/bench"
mkdir -p "$out_dir"
results="$out_dir/results.jsonl"
: >"$results"
work="$(mktemp -d /tmp/herald-bench.XXXXXX)"
server_pid=""

# Limits: many sockets on both sides, a deep accept queue for the storm.
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
for kv in net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65535; do
  key="${kv%%=*}" want="${kv#*=}"
  cur="$(sysctl -n "$key" 2>/dev/null || echo 0)"
  if [[ "$cur" -lt "$want" ]]; then sysctl -qw "$kv" 2>/dev/null || echo "note: could not set $kv" >&2; fi
done

# Debian's matplotlib for the plots (report.py runs on /usr/bin/python3).
if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-matplotlib >/dev/null 2>&1 ||
    echo "note: python3-matplotlib could not be installed; the report will have no plots" >&2
fi

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
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT

server_command() {  # name audience data_dir
  case "$1" in
    # The loader's connections come from a few 127.0.0.x addresses: no per-address cap.
    herald) echo "$herald serve --port $port --data-dir $3 --jwt-secret $secret --presence-audience $2 --workers 1" \
                 "--rate-limit 1000000 --rate-burst 1000000 --presence-rate 1000000 --presence-burst 1000000" \
                 "--max-connections-per-address 0 --log-level warn" ;;
    *) echo "$root/bench/peers/run-peer.sh $1 --port $port --secret $secret --audience $2" ;;
  esac
}

# start_server name audience -> sets server_pid, returns 1 if it never listens
start_server() {
  local name="$1" audience="$2" data="$work/data-$RANDOM$RANDOM"
  mkdir -p "$data"
  port=$((port + 1))
  local cmd
  cmd="$(server_command "$name" "$audience" "$data")"
  # shellcheck disable=SC2086
  taskset -c "$server_cpu" $cmd >"$work/$name.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      last_server_command="taskset -c $server_cpu $cmd"
      sleep 0.3  # let the server settle before the RSS baseline
      return 0
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  stop_server
  return 1
}

declare -A skipped
# Herald's followers are real follows (presence:<id> is allowed only to
# them); the peers' followers mode is the subscription alone.
follow_flag() { [[ "$1" == herald* ]] && echo --follow-api; }

# run_case server audience loadgen-args...
run_case() {
  local name="$1" audience="$2"; shift 2
  [[ -n "${skipped[$name]:-}" ]] && return 1
  if ! start_server "$name" "$audience"; then
    local why
    why="$(tail -c 400 "$work/$name.log" 2>/dev/null | tr '\n' ' ')"
    [[ "$name" == herald && ! -x "$herald" ]] && why="$herald does not exist (build it with make build)"
    echo "!! $name did not start; skipping it: $why" >&2
    record "{\"scenario\":\"_skipped\",\"label\":\"$name\",\"metrics\":{\"reason\":$(json_str "$why")}}"
    skipped[$name]=1
    return 1
  fi
  local args=(--port "$port" --secret "$secret" --server-pid "$server_pid" --label "$name" --json "$results" "$@")
  echo ">> $name: herald-loadgen ${*}" >&2
  record "{\"scenario\":\"_command\",\"label\":\"$name\",\"metrics\":{\"server\":$(json_str "$last_server_command"),\"loadgen\":$(json_str "taskset -c $loadgen_cpu herald-loadgen --port P --secret S --server-pid PID --label $name $*")}}"
  taskset -c "$loadgen_cpu" "$loadgen" "${args[@]}" >"$work/last.out" 2>&1
  local rc=$?
  grep -E '^(== |  .*(_per_s|_p99_us|_p999_us|_max_us|per_conn|_complete|failed))' "$work/last.out" >&2
  [[ $rc -ne 0 ]] && echo "   (run reported failure, rc=$rc)" >&2
  stop_server
  return 0
}

# The last chat max-throughput figure of a server, for the half-rate run.
last_metric() {  # label scenario metric
  /usr/bin/python3 - "$results" "$1" "$2" "$3" <<'PY'
import json, sys
path, label, scenario, metric = sys.argv[1:]
value = 0
for line in open(path):
    r = json.loads(line)
    if r.get("label") == label and r.get("scenario") == scenario and r["params"].get("rate", 0) == 0:
        value = r["metrics"].get(metric) or 0
print(int(value))
PY
}

if [[ $mode == quick ]]; then
  d=2 w=0.5 idle_sizes="1000" pairs=50 fan=200 fan_rate=100000 ping_conns=100 storm=500 storm_rate=500
else
  d=10 w=2 idle_sizes="1000 3000 9000" pairs=200 fan=2000 fan_rate=200000 ping_conns=500 storm=5000 storm_rate=1000
fi

machine="$(/usr/bin/python3 - "$mode" "$herald" <<'PY'
import json, os, platform, subprocess, sys
def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception:
        return ""
cpu = sh("lscpu | sed -n 's/^Model name: *//p'")
print(json.dumps({"scenario": "_machine", "label": "machine", "metrics": {
    "mode": sys.argv[1], "date": sh("date -u +%Y-%m-%dT%H:%M:%SZ"), "cpu": cpu, "cores": os.cpu_count(),
    "memory": sh("free -h | awk '/Mem:/{print $2}'"), "kernel": platform.release(),
    "os": sh(". /etc/os-release; echo $PRETTY_NAME"), "node": sh("node --version"),
    "python": sh("/usr/bin/python3 --version"), "herald": sh(f"{sys.argv[2]} --version 2>/dev/null | head -1"),
    "fd_limit": sh("ulimit -n"), "somaxconn": sh("sysctl -n net.core.somaxconn"),
    "port_range": sh("sysctl -n net.ipv4.ip_local_port_range").replace("\t", " "),
}}))
PY
)"
record "$machine"

start=$(date +%s)
# Scenario-major: each step runs every server back to back. This shared
# machine's speed drifts by up to 40% within minutes; run server by server,
# a drift fell on whichever server came last and skewed the ratios, while
# within one step it falls on all servers alike.
for n in $idle_sizes; do
  for s in $servers; do run_case "$s" followers --scenario connect --connections "$n" --concurrency 256 --hold 1; done
done
for s in $servers; do
  run_case "$s" followers --scenario ping --connections "$ping_conns" --window 8 --duration "$d" --warmup "$w"
done
for s in $servers; do
  run_case "$s" followers --scenario chat --pairs "$pairs" --window 16 --duration "$d" --warmup "$w"
done
fractions="0.5"
[[ $mode == full ]] && fractions="0.1 0.25 0.5 0.75"
for f in $fractions; do
  for s in $servers; do
    max="$(last_metric "$s" chat delivered_per_s)"
    [[ "$max" -gt 0 ]] || continue
    rate="$(/usr/bin/python3 -c "print(int($max * $f))")"
    run_case "$s" followers --scenario chat --pairs "$pairs" --window 16 --rate "$rate" --duration "$d" --warmup "$w"
  done
done
for s in $servers; do
  run_case "$s" followers --scenario fanout --connections "$fan" --rate "$fan_rate" --window 64 \
    --duration "$d" --warmup "$w" --audience followers $(follow_flag "$s")
done
# The same listeners, closed loop: each server's maximum deliveries/s.
for s in $servers; do
  run_case "$s" followers --scenario fanout --connections "$fan" --rate 0 --window 256 \
    --duration "$d" --warmup "$w" --audience followers $(follow_flag "$s")
done
for s in $servers; do
  run_case "$s" all --scenario storm --connections "$storm" --connect-rate "$storm_rate" --concurrency 0 \
    --duration 30 --timeout 30 --quiet 3
done
# Scale: Herald only, the 100k target and beyond (full mode or --scale).
if [[ $mode == full && -z "$scale" ]]; then scale="100000"; fi
hard_fds="$(ulimit -Hn)"
for n in $scale; do
  if [[ "$hard_fds" != unlimited && $((n + 1000)) -gt "$hard_fds" ]]; then
    largest=$((hard_fds - 1000))
    why="$n connections not run: the open-files hard limit here is $hard_fds and this container cannot raise it (setrlimit needs CAP_SYS_RESOURCE); server and load generator each need one fd per connection. The largest set this machine allows, $largest, runs instead"
    echo "!! $why" >&2
    record "{\"scenario\":\"_note\",\"label\":\"herald\",\"metrics\":{\"note\":$(json_str "$why")}}"
    n=$largest
  fi
  run_case herald followers --scenario connect --connections "$n" --concurrency 1024 --hold 2 --timeout 300 || break
done
# Google Benchmark micro-benchmarks of the hot functions, on the server's core.
# The History ones build a database of millions of chats first: they run on
# their own (docs/bench/history.md says how).
micro_json="$out_dir/micro.json"
rm -f "$micro_json"
micro="$(dirname "$herald")/micro_bench"
if [[ -x "$micro" ]]; then
  echo ">> micro_bench" >&2
  taskset -c "$server_cpu" "$micro" --benchmark_filter=-History --benchmark_min_time=0.2 --benchmark_format=json \
    --benchmark_out="$micro_json" --benchmark_out_format=json >/dev/null 2>&1 ||
    echo "note: micro_bench failed" >&2
else
  echo "note: $micro not built; no micro-benchmarks in this report" >&2
fi
echo "bench ($mode) took $(( $(date +%s) - start )) s" >&2

# TLS beside plain comes from bench/scripts/run-tls.sh, run on its own.
/usr/bin/python3 "$root/bench/scripts/report.py" --results "$results" --out "$root/docs/BENCHMARKS.md" \
  --plots "$out_dir" --micro "$micro_json" --tls "$out_dir/tls.jsonl" --chat-tail "$out_dir/chat_tail.jsonl"
