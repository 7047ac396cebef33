#!/usr/bin/env bash
# The worked example of docs/OPERATIONS.md: three Herald nodes behind nginx
# on one machine, sharing one Redis and one PostgreSQL, all on loopback.
#
#   scripts/cluster-example.sh start [DIR]   # DIR default ./cluster-data
#   scripts/cluster-example.sh stop [DIR]
#
# Ports (environment): HERALD_PORT (nginx, 8100), NODE_PORTS ("8101 8102
# 8103"), REDIS_PORT (6380), PG_PORT (5433). The JWT secret is generated
# once into DIR/jwt-secret (0600) and shared by the nodes. Logs: DIR/*.log.
set -euo pipefail
cmd="${1:-start}"
dir="$(realpath -m "${2:-./cluster-data}")"
root="$(cd "$(dirname "$0")/.." && pwd)"
herald="${HERALD_BIN:-$root/build/herald}"
port="${HERALD_PORT:-8100}"
read -r -a node_ports <<<"${NODE_PORTS:-8101 8102 8103}"
redis_port="${REDIS_PORT:-6380}"
pg_port="${PG_PORT:-5433}"
pg_bin=/usr/lib/postgresql/15/bin
as_postgres() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop() {
  [[ -f "$dir/nginx.pid" ]] && kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
  for i in 1 2 3; do
    [[ -f "$dir/node$i.pid" ]] && kill "$(cat "$dir/node$i.pid")" 2>/dev/null || true
  done
  for i in 1 2 3; do  # SIGTERM: each node closes its sockets with 1001 and leaves the cluster
    [[ -f "$dir/node$i.pid" ]] || continue
    for _ in $(seq 50); do kill -0 "$(cat "$dir/node$i.pid")" 2>/dev/null || break; sleep 0.2; done
    rm -f "$dir/node$i.pid"
  done
  [[ -f "$dir/redis.pid" ]] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  rm -f "$dir/redis.pid"
  [[ -d "$dir/pg/data" ]] && as_postgres "$pg_bin/pg_ctl" -D "$dir/pg/data" -w -s -m fast stop 2>/dev/null || true
}

wait_ready() {  # $1 port: /ready answers 200 (storage and Redis reachable)
  for _ in $(seq 150); do
    curl -fsS "http://127.0.0.1:$1/ready" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "cluster-example: nothing ready on port $1 (see $dir/*.log)" >&2
  return 1
}

if [[ "$cmd" == stop ]]; then stop; exit 0; fi
[[ "$cmd" == start ]] || { echo "usage: $0 start|stop [DIR]" >&2; exit 2; }
[[ -x "$herald" ]] || { echo "cluster-example: build herald first (make build)" >&2; exit 2; }
mkdir -p "$dir"
chmod 755 "$dir"  # PostgreSQL runs as `postgres` when this runs as root

# 1. Redis: nothing persisted (presence is rebuilt from the nodes).
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"

# 2. PostgreSQL: a cluster of its own in DIR/pg, trust auth on loopback for
#    the role herald (a real deployment sets a password: docs/OPERATIONS.md).
if [[ ! -d "$dir/pg/data" ]]; then
  mkdir -p "$dir/pg"
  [[ $(id -u) == 0 ]] && chown postgres:postgres "$dir/pg"
  as_postgres "$pg_bin/initdb" -D "$dir/pg/data" -U herald --auth=trust -E UTF8 >"$dir/pg/initdb.log"
fi
as_postgres "$pg_bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/postgres.log" -w -s \
  -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1" start

# 3. Three nodes, one data directory each (its JWT secret file and nothing
#    else of note: storage is PostgreSQL), all with the same secret.
[[ -f "$dir/jwt-secret" ]] || (umask 077; head -c 48 /dev/urandom | base64 >"$dir/jwt-secret")
for i in 1 2 3; do
  # The secret through the environment, not the command line (ps shows that).
  HERALD_JWT_SECRET="$(cat "$dir/jwt-secret")" \
  "$herald" serve --host 127.0.0.1 --port "${node_ports[$((i - 1))]}" --data-dir "$dir/node$i" \
    --max-connections-per-address 0 \
    --redis-url "redis://127.0.0.1:$redis_port" \
    --database-url "postgresql://herald@127.0.0.1:$pg_port/postgres" \
    >"$dir/node$i.log" 2>&1 &
  echo $! >"$dir/node$i.pid"
done
for p in "${node_ports[@]}"; do wait_ready "$p"; done

# 4. nginx in front, from docs/ops/nginx-cluster.conf.
sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@PORT1@|${node_ports[0]}|g" \
    -e "s|@PORT2@|${node_ports[1]}|g" -e "s|@PORT3@|${node_ports[2]}|g" \
    "$root/docs/ops/nginx-cluster.conf" >"$dir/nginx.conf"
nginx -c "$dir/nginx.conf" -p "$dir"
wait_ready "$port"
echo "cluster-example: Herald on http://127.0.0.1:$port (nodes ${node_ports[*]}; stop: $0 stop $dir)"
