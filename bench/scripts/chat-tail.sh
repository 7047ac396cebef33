#!/usr/bin/env bash
# The chat tail (issue 9): closed-loop chat, 200 sender/receiver pairs, at
# 1 and 4 messages in flight per sender, Herald and uWebSockets.js back to
# back, the whole round repeated (default 3 times) so report.py can give
# the median and the spread. Server on CPU 0, herald-loadgen on CPU 1, as
# run-bench.sh does. Results go to docs/bench/chat_tail.jsonl (replaced),
# one JSON line per run, each with the CPU time other processes took on
# either CPU while it ran (this machine is shared: a figure taken while
# others compiled says so in the report); then report.py rewrites
# docs/BENCHMARKS.md.
#
#   bench/scripts/chat-tail.sh [--reps 3] [--windows "1 4"] [--pairs 200]
#       [--duration 10] [--warmup 2] [--servers "herald uws"]
#       [--herald PATH] [--also LABEL=PATH ...] [--out FILE] [--no-report]
#
# --also adds another Herald binary, measured in the same rounds under its
# own label (e.g. the previous commit's build, for a before/after table).
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
reps=3 windows="1 4" pairs=200 duration=10 warmup=2 servers="herald uws"
herald="$root/build/herald" loadgen="$root/build/herald-loadgen"
out="$root/docs/bench/chat_tail.jsonl" report=1
declare -A extra=()
extra_order=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --windows) windows="$2"; shift 2 ;;
    --pairs) pairs="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --servers) servers="$2"; shift 2 ;;
    --herald) herald="$2"; shift 2 ;;
    --loadgen) loadgen="$2"; shift 2 ;;
    --also) extra["${2%%=*}"]="${2#*=}"; extra_order+=("${2%%=*}"); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --no-report) report=0; shift ;;
    *) echo "chat-tail.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -x "$loadgen" ]] || { echo "chat-tail.sh: $loadgen not built (ninja herald-loadgen)" >&2; exit 2; }

secret="bench-secret-0123456789abcdef0123456789"
port=18700
work="$(mktemp -d /tmp/herald-chat-tail.XXXXXX)"
server_pid=""
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
mkdir -p "$(dirname "$out")"
: >"$out"

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

server_command() {  # label data_dir
  local bin="$herald"
  [[ -n "${extra[$1]:-}" ]] && bin="${extra[$1]}"
  case "$1" in
    uws) echo "$root/bench/peers/run-peer.sh uws --port $port --secret $secret --audience followers" ;;
    *) echo "$bin serve --port $port --data-dir $2 --jwt-secret $secret --presence-audience followers" \
            "--workers 1 --rate-limit 1000000 --rate-burst 1000000 --max-connections-per-address 0" \
            "--log-level warn" ;;
  esac
}

# Busy jiffies of CPU 0 and CPU 1 (everything but idle and iowait).
busy() { awk '$1 == "cpu0" || $1 == "cpu1" { printf "%d ", $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
# User + system jiffies of a process and all its threads.
proc_cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

run_one() {  # label window rep
  local label="$1" window="$2" rep="$3" data="$work/data-$RANDOM$RANDOM" cmd
  mkdir -p "$data"
  port=$((port + 1))
  cmd="$(server_command "$label" "$data")"
  # shellcheck disable=SC2086
  taskset -c 0 $cmd >"$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.3
  local args=(--scenario chat --port "$port" --secret "$secret" --server-pid "$server_pid" --label "$label"
              --pairs "$pairs" --window "$window" --duration "$duration" --warmup "$warmup")
  local busy0 server0 busy1 server1
  busy0="$(busy)" server0="$(proc_cpu "$server_pid")"
  /usr/bin/time -f "%e %U %S" -o "$work/loadgen.time" taskset -c 1 "$loadgen" "${args[@]}" >"$work/last.out" 2>&1
  busy1="$(busy)" server1="$(proc_cpu "$server_pid")"
  stop_server
  rm -rf "$data"
  local json
  json="$(tail -n 1 "$work/last.out")"
  if [[ "$json" != \{* ]]; then
    echo "!! $label window $window rep $rep: no result ($(tail -c 300 "$work/last.out" | tr '\n' ' '))" >&2
    return
  fi
  /usr/bin/python3 - "$json" "$rep" "$busy0" "$busy1" "$server0" "$server1" "$(cat "$work/loadgen.time")" \
      "taskset -c 0 ${cmd//$root\//}" "taskset -c 1 herald-loadgen ${args[*]}" "$(cut -d' ' -f1 /proc/loadavg)" "$warmup" \
      >>"$out" <<'PY'
import json, os, sys
run = json.loads(sys.argv[1])
rep = int(sys.argv[2])
b0 = [int(x) for x in sys.argv[3].split()]
b1 = [int(x) for x in sys.argv[4].split()]
server = (int(sys.argv[6]) - int(sys.argv[5])) / os.sysconf("SC_CLK_TCK")
elapsed, user, system = (float(x) for x in sys.argv[7].split()[-3:])
loadgen = user + system
busy = [(b1[i] - b0[i]) / os.sysconf("SC_CLK_TCK") for i in range(2)]
# CPU time others took on each CPU while the load generator ran (set-up,
# warm-up and measurement), as a share of that time.
run["params"]["rep"] = rep
run["params"]["warmup_s"] = float(sys.argv[11])
run["metrics"]["other_cpu0_share"] = max(0.0, busy[0] - server) / elapsed
run["metrics"]["other_cpu1_share"] = max(0.0, busy[1] - loadgen) / elapsed
run["metrics"]["loadavg_at_end"] = float(sys.argv[10])
run["commands"] = {"server": sys.argv[8], "loadgen": sys.argv[9]}
if run["metrics"].get("pairs_ready") != run["params"]["pairs"]:
    print(f"!! {run['label']}: only {run['metrics'].get('pairs_ready')} of {run['params']['pairs']} pairs connected"
          f" (ended by: {run['metrics'].get('ended_by_server')})", file=sys.stderr)
print(json.dumps(run))
PY
  grep -E '^  (delivered_per_s|delivery_p(50|99|999)_us|delivery_max_us) ' "$work/last.out" |
    awk -v l="$label" -v w="$window" -v r="$rep" 'BEGIN { printf ">> %s window %s rep %s:", l, w, r } { printf " %s %s", $1, $2 } END { print "" }' >&2
}

labels=()
for s in $servers; do
  labels+=("$s")
  [[ "$s" == herald ]] && labels+=("${extra_order[@]}")
done
for rep in $(seq 1 "$reps"); do
  for window in $windows; do
    for label in "${labels[@]}"; do run_one "$label" "$window" "$rep"; done
  done
done
if [[ $report == 1 ]]; then
  /usr/bin/python3 "$root/bench/scripts/report.py" --results "$root/docs/bench/results.jsonl" \
    --out "$root/docs/BENCHMARKS.md" --plots "$root/docs/bench" --micro "$root/docs/bench/micro.json" \
    --chat-tail "$out"
fi
