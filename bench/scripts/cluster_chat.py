#!/usr/bin/python3
"""Chat and presence fan-out across cluster nodes (issue 13, BENCHMARKS.md
"Cluster"). The same closed-loop chat (200 pairs) in three set-ups, all on
one PostgreSQL:

- one node: senders and receivers on one node (PostgreSQL storage, no Redis);
- one node with Redis: the same node also publishing every chat to Redis
  (what a cluster node does for recipients elsewhere): the Redis hop's cost;
- two nodes: senders on node A, receivers on node B, every chat crossing
  through Redis.

and presence fan-out (one publisher, 2,000 listeners following it) with
the listeners on the publisher's node or on another node.

Reported per run: delivered msgs/s, delivery p50/p99/p99.9/max, and the CPU
per message of the whole machine's share that serves it (the nodes,
PostgreSQL's backends, Redis). Nothing is pinned: every process shares the
two cores, so figures compare the set-ups with each other, not with the
one-core tables.

    bench/scripts/cluster_chat.py [--window 4] [--duration 8] [--out docs/bench/cluster_chat.txt]
"""
import argparse
import importlib.util
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
spec = importlib.util.spec_from_file_location("cluster_scale", os.path.join(HERE, "cluster_scale.py"))
scale = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scale)

SECRET = scale.SECRET


def cpu_of(pids):
    total = 0.0
    for pid in pids:
        try:
            total += scale.cpu_seconds(pid)
        except OSError:
            pass
    return total


def postgres_pids():
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--window", type=int, default=4)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--herald", default=os.path.join(ROOT, "build/herald"))
    ap.add_argument("--loadgen", default=os.path.join(ROOT, "build/herald-loadgen"))
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    work = tempfile.mkdtemp(prefix="herald-xchat-")
    os.chmod(work, 0o755)
    redis = pg_dir = None
    rows = []
    fan_rows = []
    try:
        redis_port = scale.free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", work], stdout=subprocess.DEVNULL)
        pg_dir = os.path.join(work, "pg")
        os.makedirs(pg_dir)
        if os.geteuid() == 0:
            shutil.chown(pg_dir, "postgres", "postgres")
        pg_port = scale.free_port()
        subprocess.run(scale.as_postgres([f"{scale.PG_BIN}/initdb", "-D", pg_dir + "/data", "-U", "herald",
                                          "--auth=trust", "-E", "UTF8", "--no-sync", "-N"]), check=True,
                       capture_output=True)
        subprocess.run(scale.as_postgres([f"{scale.PG_BIN}/pg_ctl", "-D", pg_dir + "/data", "-l", pg_dir + "/log",
                                          "-w", "-s", "-o", f"-p {pg_port} -k {pg_dir} -c listen_addresses=127.0.0.1 "
                                                            "-c fsync=off"]) + ["start"], check=True)
        for i, db in enumerate(("one", "one_redis", "two")):
            subprocess.run(scale.as_postgres([f"{scale.PG_BIN}/psql", "-h", "127.0.0.1", "-p", str(pg_port), "-U",
                                              "herald", "-d", "postgres", "-q", "-c", f"CREATE DATABASE {db}"]),
                           check=True)

        def node(db, redis_on):
            port = scale.free_port()
            args = [a.herald, "serve", "--port", str(port), "--data-dir", os.path.join(work, f"d{port}"),
                    "--jwt-secret", SECRET, "--workers", "1", "--log-level", "warn",
                    "--max-connections-per-address", "0", "--presence-audience", "followers",
                    "--rate-limit", "1000000", "--rate-burst", "1000000",
                    "--presence-rate", "1000000", "--presence-burst", "1000000",
                    "--database-url", f"postgresql://herald@127.0.0.1:{pg_port}/{db}"]
            if redis_on:
                args += ["--redis-url", f"redis://127.0.0.1:{redis_port}"]
            p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            scale.wait_http(port)
            return port, p

        setups = [("one node", "one", 1, False), ("one node, publishing to Redis", "one_redis", 1, True),
                  ("two nodes, every chat crossing", "two", 2, True)]
        # Presence fan-out: one publisher changing status, followed by the
        # 2,000 listeners on its node, or on the other node.
        fanouts = [("one node", "one", 1, True), ("two nodes, listeners on the other", "two", 2, True)]
        for label, db, count, redis_on in fanouts:
            nodes = [node(db, redis_on) for _ in range(count)]
            pids = [p.pid for _, p in nodes] + postgres_pids() + [redis.pid]
            out = os.path.join(work, f"fan-{db}.json")
            args = [a.loadgen, "--scenario", "fanout", "--port", str(nodes[0][0]), "--secret", SECRET,
                    "--server-pid", str(nodes[0][1].pid), "--label", db, "--connections", "2000",
                    "--audience", "followers", "--follow-api", "--window", "64", "--duration", str(a.duration),
                    "--warmup", "2",
                    "--user-base", "500000", "--json", out]
            if count == 2:
                args += ["--receiver-port", str(nodes[1][0])]
            before = cpu_of(pids)
            subprocess.run(args, capture_output=True, timeout=a.duration + 120)
            after = cpu_of(pids)
            m = json.loads(open(out).read().strip().splitlines()[-1])["metrics"]
            delivered = m.get("deliveries", 0) or m.get("deliveries_per_s", 0) * a.duration
            fan_rows.append((label, m, (after - before) * 1e6 / max(delivered, 1)))
            for _, p in nodes:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=15)
        for label, db, count, redis_on in setups:
            nodes = [node(db, redis_on) for _ in range(count)]
            pids = [p.pid for _, p in nodes] + postgres_pids() + [redis.pid]
            out = os.path.join(work, f"{db}.json")
            args = [a.loadgen, "--scenario", "chat", "--port", str(nodes[0][0]), "--secret", SECRET,
                    "--server-pid", str(nodes[0][1].pid), "--label", db, "--pairs", str(a.pairs),
                    "--window", str(a.window), "--duration", str(a.duration), "--warmup", "2", "--json", out]
            if count == 2:
                args += ["--receiver-port", str(nodes[1][0])]
            before = cpu_of(pids)
            subprocess.run(args, capture_output=True, timeout=a.duration + 120)
            after = cpu_of(pids)
            m = json.loads(open(out).read().strip().splitlines()[-1])["metrics"]
            delivered = m.get("delivery_count", 0)
            rows.append((label, m, (after - before) * 1e6 / max(delivered, 1)))
            for _, p in nodes:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=15)
    finally:
        if redis:
            redis.terminate()
            redis.wait(timeout=10)
        if pg_dir and os.path.exists(pg_dir + "/data"):
            subprocess.run(scale.as_postgres([f"{scale.PG_BIN}/pg_ctl", "-D", pg_dir + "/data", "-w", "-s", "-m",
                                              "fast", "stop"]), capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    lines = [f"| set-up ({a.pairs} pairs, {a.window} in flight) | msgs/s | p50 | p99 | p99.9 | max | CPU per msg (nodes, PostgreSQL, Redis) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for label, m, cpu in rows:
        ms = lambda k: f"{m.get(k, 0) / 1000:.1f} ms"
        lines.append(f"| {label} | {m.get('delivered_per_s', 0):,.0f} | {ms('delivery_p50_us')} | {ms('delivery_p99_us')} | "
                     f"{ms('delivery_p999_us')} | {ms('delivery_max_us')} | {cpu:.1f} us |")
    lines += ["", "| presence fan-out (2,000 listeners following the publisher) | deliveries/s | p50 | p99 | CPU per delivery (nodes, PostgreSQL, Redis) |",
              "| --- | --- | --- | --- | --- |"]
    for label, m, cpu in fan_rows:
        ms = lambda k: f"{m.get(k, 0) / 1000:.1f} ms"
        lines.append(f"| {label} | {m.get('deliveries_per_s', 0):,.0f} | {ms('delivery_p50_us')} | "
                     f"{ms('delivery_p99_us')} | {cpu:.2f} us |")
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
