#!/usr/bin/python3
"""Many concurrent authenticated connections on one machine, as a cluster
(issue 13, docs/CLUSTER.md "Scale on one machine"): N herald nodes sharing
one Redis (and, with --postgres, one PostgreSQL), one herald-loadgen per
node holding its share of the connections open, then an idle window.

A process here may hold 20,000 descriptors, so 100,000 connections take six
nodes of about 16,700 each (and six load generators). Measured:
- every connection authenticated and welcomed (`connected`), per node;
- set-up: connections per second over the whole cluster, `connected` p99;
- server RSS per connection (each node's RSS growth over its connections);
- kernel memory per connection (/proc/net/sockstat: TCP buffer pages and
  socket slabs, both ends of each loopback connection included);
- Redis memory per online user (INFO used_memory growth);
- server CPU per idle connection per second, over an idle window.

    bench/scripts/cluster_scale.py [--nodes 6] [--connections 100000]
        [--connect-rate 4000] [--idle 20] [--postgres] [--out docs/bench/cluster_scale.txt]

Traffic stays on loopback; every process is stopped at the end.
"""
import argparse
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "cluster-scale-secret-0123456789abcdef0123"
PG_BIN = "/usr/lib/postgresql/15/bin"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_postgres(args):
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + args


def wait_http(port, path="/health", timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"port {port}{path} never answered 200")


def redis_used_memory(port):
    out = subprocess.run(["redis-cli", "-p", str(port), "INFO", "memory"], capture_output=True, text=True).stdout
    return int(next(l for l in out.splitlines() if l.startswith("used_memory:")).split(":")[1])


def kernel_socket_bytes():
    """TCP buffer memory (pages) plus the sockets' slab objects, from
    /proc/net/sockstat and /proc/slabinfo where readable."""
    pages = 0
    for line in open("/proc/net/sockstat"):
        if line.startswith("TCP:"):
            f = line.split()
            pages = int(f[f.index("mem") + 1])
    slab = 0
    try:
        for line in open("/proc/slabinfo"):
            f = line.split()
            if f and f[0] in ("TCP", "sock_inode_cache", "dentry", "filp", "eventpoll_epi", "eventpoll_pwq"):
                slab += int(f[1]) * int(f[3])  # active objects x object size
    except OSError:
        pass
    return pages * os.sysconf("SC_PAGE_SIZE") + slab


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=6)
    ap.add_argument("--connections", type=int, default=100_000)
    ap.add_argument("--connect-rate", type=int, default=4000, help="per second, over the whole cluster")
    ap.add_argument("--idle", type=int, default=20, help="seconds of idle measurement")
    ap.add_argument("--postgres", action="store_true", help="the nodes share a PostgreSQL too")
    ap.add_argument("--herald", default=os.path.join(ROOT, "build/herald"))
    ap.add_argument("--loadgen", default=os.path.join(ROOT, "build/herald-loadgen"))
    ap.add_argument("--out", default=None, help="also write the markdown summary here")
    a = ap.parse_args()
    # Every child inherits the soft descriptor limit: raise it to the hard one.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    work = tempfile.mkdtemp(prefix="herald-scale-")
    procs = []

    def spawn(args, log, **kw):
        p = subprocess.Popen(args, stdout=open(os.path.join(work, log), "wb"), stderr=subprocess.STDOUT, **kw)
        procs.append(p)
        return p

    try:
        redis_port = free_port()
        spawn(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", work], "redis.log")
        time.sleep(0.5)
        database_url = None
        if a.postgres:
            pg_dir = os.path.join(work, "pg")
            os.makedirs(pg_dir)
            if os.geteuid() == 0:
                os.chmod(work, 0o755)
                shutil.chown(pg_dir, "postgres", "postgres")
            pg_port = free_port()
            subprocess.run(as_postgres([f"{PG_BIN}/initdb", "-D", pg_dir + "/data", "-U", "herald", "--auth=trust",
                                        "-E", "UTF8", "--no-sync", "-N"]), check=True, capture_output=True)
            subprocess.run(as_postgres([f"{PG_BIN}/pg_ctl", "-D", pg_dir + "/data", "-l", pg_dir + "/log", "-w", "-s",
                                        "-o", f"-p {pg_port} -k {pg_dir} -c listen_addresses=127.0.0.1 "
                                              "-c fsync=off -c max_connections=200", "start"]), check=True)
            database_url = f"postgresql://herald@127.0.0.1:{pg_port}/postgres"
        redis0 = redis_used_memory(redis_port)
        kernel0 = kernel_socket_bytes()

        per_node = -(-a.connections // a.nodes)  # at least --connections in all
        nodes = []
        for i in range(a.nodes):
            port = free_port()
            data = os.path.join(work, f"node{i}")
            args = [a.herald, "serve", "--port", str(port), "--data-dir", data, "--jwt-secret", SECRET,
                    "--workers", "1", "--log-level", "warn", "--max-connections-per-address", "0",
                    "--presence-audience", "followers", "--redis-url", f"redis://127.0.0.1:{redis_port}"]
            if database_url:
                args += ["--database-url", database_url]
            p = spawn(args, f"node{i}.log")
            nodes.append((port, p))
        for port, _ in nodes:
            wait_http(port)
        rss0 = [rss_kib(p.pid) for _, p in nodes]

        # One load generator per node, each with its share of users and of
        # the connect rate, holding its connections through the idle window.
        hold = a.idle + 15
        gens = []
        for i, (port, p) in enumerate(nodes):
            out = os.path.join(work, f"gen{i}.json")
            args = [a.loadgen, "--scenario", "connect", "--port", str(port), "--secret", SECRET,
                    "--server-pid", str(p.pid), "--label", f"node{i}", "--user-base", str(1000 + i * per_node),
                    "--connections", str(per_node), "--connect-rate", str(max(1, a.connect_rate // a.nodes)),
                    "--concurrency", "256", "--hold", str(hold), "--timeout", "300", "--json", out]
            gens.append((spawn(args, f"gen{i}.log"), out))
        started = time.monotonic()
        # Set-up ends when every node counts its share.
        target = per_node * a.nodes
        while True:
            total = 0
            for port, _ in nodes:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        body = b""
                        while chunk := s.recv(65536):
                            body += chunk
                    line = next(l for l in body.decode().splitlines() if l.startswith("herald_connections "))
                    total += int(float(line.split()[1]))
                except (OSError, StopIteration):
                    pass
            if total >= target or time.monotonic() - started > 300:
                break
            time.sleep(0.5)
        setup_s = time.monotonic() - started
        time.sleep(3)  # the last users' rows and presence settle
        kernel1 = kernel_socket_bytes()
        redis1 = redis_used_memory(redis_port)
        rss1 = [rss_kib(p.pid) for _, p in nodes]
        cpu_a = [cpu_seconds(p.pid) for _, p in nodes]
        time.sleep(a.idle)
        cpu_b = [cpu_seconds(p.pid) for _, p in nodes]
        results = []
        for g, out in gens:
            g.wait(timeout=hold + 400)
            results.append(json.loads(open(out).read().strip().splitlines()[-1]))
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
        if a.postgres:
            subprocess.run(as_postgres([f"{PG_BIN}/pg_ctl", "-D", os.path.join(work, "pg/data"), "-w", "-s", "-m",
                                        "fast", "stop"]), capture_output=True)
        shutil.rmtree(work, ignore_errors=True)

    connected = sum(r["metrics"].get("connected", 0) for r in results)
    failed = sum(r["metrics"].get("failed", 0) for r in results)
    p99 = max(r["metrics"].get("connected_p99_us", 0) for r in results)
    rss_per_conn = sum(b - a_ for a_, b in zip(rss0, rss1)) * 1024 / max(connected, 1)
    kernel_per_conn = (kernel1 - kernel0) / max(connected, 1)
    redis_per_user = (redis1 - redis0) / max(connected, 1)
    idle_cpu_us = sum(b - a_ for a_, b in zip(cpu_a, cpu_b)) * 1e6 / a.idle / max(connected, 1)
    lines = [
        f"| nodes | connections held | failed | set-up time | set-up rate | `connected` p99 (worst node) |",
        f"| --- | --- | --- | --- | --- | --- |",
        f"| {a.nodes} | {connected:,} | {failed} | {setup_s:.1f} s | {connected / setup_s:,.0f}/s | {p99 / 1000:.0f} ms |",
        "",
        f"| per connection | measured |",
        f"| --- | --- |",
        f"| server RSS (all nodes' growth / connections) | {rss_per_conn / 1024:.2f} KiB |",
        f"| kernel: TCP buffers and socket slabs, both ends | {kernel_per_conn / 1024:.2f} KiB |",
        f"| Redis memory per online user | {redis_per_user:.0f} B |",
        f"| server CPU per idle connection per second | {idle_cpu_us:.3f} us |",
        "",
        f"storage: {'PostgreSQL shared by the nodes' if a.postgres else 'SQLite per node'}; "
        f"each node {per_node:,} connections, one worker; Redis {redis1 / 2**20:.0f} MiB in use at the end",
    ]
    text = "\n".join(lines)
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text + "\n")
    return 0 if connected == per_node * a.nodes else 1


if __name__ == "__main__":
    sys.exit(main())
