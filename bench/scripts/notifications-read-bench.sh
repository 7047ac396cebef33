#!/bin/bash
# The notifications' read side at 600,000 stored (issue 11): 60 publishes of
# 10,000 recipients by herald-loadgen (server on CPU 0, one worker), then
# notifications_rest.py times the list, the unread-only list, the unread
# count and marking one read, right away and after the fold. Output goes to
# stdout; docs/bench/notifications_rest.txt is this script's output, which
# report.py puts in BENCHMARKS.md.
#   bench/scripts/notifications-read-bench.sh > docs/bench/notifications_rest.txt
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
D=$(mktemp -d /tmp/pub/n.XXXX); P=$((22000 + RANDOM % 1000))
S=bench-secret-0123456789abcdef0123456789; K=bench-api-key-0123456789abcdef
taskset -c 0 $root/build/herald serve --port $P --data-dir $D --jwt-secret $S --api-key $K --workers 1 --rate-limit 1000000 --rate-burst 1000000 --rest-rate 1000000 --rest-burst 1000000 --retention-events 100000 --max-connections-per-address 0 --log-level warn &
SP=$!
sleep 1
taskset -c 1 $root/build/herald-loadgen --scenario publish --port $P --secret $S --api-key $K --server-pid $SP --connections 1000 --recipients 10000 --reps 60 --timeout 60 > /dev/null 2>&1
echo "== right after 60 publishes (600,000 notifications; the fold may still be indexing the last calls)"
taskset -c 1 /usr/bin/python3 $root/bench/scripts/notifications_rest.py --port $P --secret $S --requests 2000
sleep 3
echo "== after the fold"
taskset -c 1 /usr/bin/python3 $root/bench/scripts/notifications_rest.py --port $P --secret $S --requests 2000
kill $SP; wait $SP
rm -rf $D
