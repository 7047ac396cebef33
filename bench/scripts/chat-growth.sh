#!/bin/bash
# Chat over a growing archive: one herald (CPU 0, one worker) and RUNS
# closed-loop chat runs of herald-loadgen (CPU 1; 200 pairs, WINDOW in
# flight, 10 s after 2 s of warm-up) back to back against the same data
# directory, printing each run's throughput, tail and server CPU per
# message with the number of chats archived so far (docs/PERFORMANCE.md,
# "Chat over a growing archive").
#   [CHAT_FLAGS=--random-msg-ids] bench/scripts/chat-growth.sh [RUNS=8] [WINDOW=4]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-8}
window=${2:-4}
data=$(mktemp -d)
port=$((21000 + RANDOM % 1000))
secret=bench-secret-0123456789abcdef0123456789
taskset -c 0 "$root/build/herald" serve --port "$port" --data-dir "$data" --jwt-secret "$secret" \
  --presence-audience followers --workers 1 --rate-limit 1000000 --rate-burst 1000000 \
  --max-connections-per-address 0 --log-level warn &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
sleep 1
for run in $(seq 1 "$runs"); do
  result=$(taskset -c 1 "$root/build/herald-loadgen" --scenario chat --port "$port" --secret "$secret" ${CHAT_FLAGS:-} \
             --server-pid "$server" --pairs 200 --window "$window" --duration 10 --warmup 2 2>/dev/null)
  archived=$(sqlite3 "$data/herald-archive.db" "SELECT coalesce(max(id), 0) FROM messages")
  figures=$(grep -E '^  (delivered_per_s|delivery_p99_us|delivery_p999_us|delivery_max_us|server_cpu_us_per_message) ' \
              <<<"$result" | awk '{printf "%s=%s ", $1, $2}')
  echo "run $run: ${figures}archived=$archived"
done
