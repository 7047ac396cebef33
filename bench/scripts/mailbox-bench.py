#!/usr/bin/python3
"""Mailbox and notification speed (issue 11), against a real herald:

- replay: a user's mailbox holds 10,000 chats; a client connects with
  since=0 and reads until the 10,000th. Reported: the server's CPU time for
  the whole connection (handshake, read, frames, writes; from
  /proc/<pid>/stat) and the wall time from connect to the last frame as
  this client saw it (Python parsing included).
- publish: 10,000 known users, 1,000 of them online; one POST
  /notifications to all 10,000, sent by curl. Reported: time to the 202
  (every row stored; curl's time_total), time from starting curl to the
  last online recipient's frame as this client read it, and server CPU
  time. One unrecorded call goes first.
- sustained: publishes of 100 recipients each, 8 in flight, to 1,000 online
  users for 10 s: notifications stored and delivered per second.

Before the replays and the publishes the script waits for the server to be
idle, so the set-up's own writes are not billed to the first measurement.
Server on CPU 0, this client on CPU 1. Results: one JSON line per
measurement to --out (default docs/bench/mailbox.jsonl), and a summary on
stdout.

    /usr/bin/python3 bench/scripts/mailbox-bench.py [--herald build/herald] [--runs 10]
"""
import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import requests
import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from conftest import make_token  # noqa: E402  (HS256 minting shared with the tests)

SECRET = "bench-secret-0123456789abcdef0123456789"
API_KEY = "bench-api-key-0123456789abcdef"


def cpu_s(pid):
    """The process's CPU time in seconds, every thread, to the nanosecond
    (schedstat; /proc/<pid>/stat counts 10 ms ticks)."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass  # a thread that ended meanwhile
    return total / 1e9


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def token(user):
    return make_token(user, f"u{user}", 3600, secret=SECRET)


async def open_ws(port, user, since=None):
    q = f"&since={since}" if since is not None else ""
    ws = await websockets.connect(f"ws://127.0.0.1:{port}/api/v1/ws?token={token(user)}{q}",
                                  max_size=None, max_queue=None)
    first = json.loads(await ws.recv())
    assert first["type"] == "connected", first
    return ws


async def fill(port, n):
    """n chats from user 1 to user 2 (user 2 known, offline)."""
    bob = await open_ws(port, 2)
    await bob.close()
    alice = await open_ws(port, 1)
    sent = 0
    while sent < n:
        batch = min(200, n - sent)
        for i in range(batch):
            await alice.send(json.dumps({"type": "message", "to_user_id": 2, "message": f"m{sent + i}"}))
        acks = 0
        while acks < batch:
            acks += '"type":"ack"' in await alice.recv()
        sent += batch
    await alice.close()


async def replay_once(port, pid, n):
    c0, t0 = cpu_s(pid), time.perf_counter()
    ws = await open_ws(port, 2, since=0)
    got = 0
    while got < n:
        got += '"type":"chat"' in await ws.recv()
    t1, c1 = time.perf_counter(), cpu_s(pid)
    await ws.close()
    return {"server_cpu_ms": (c1 - c0) * 1000, "client_wall_ms": (t1 - t0) * 1000}


async def make_known(port, first, count):
    """Users first..first+count-1 seen once (connected and closed)."""
    for base in range(first, first + count, 200):
        conns = await asyncio.gather(*(open_ws(port, u) for u in range(base, min(base + 200, first + count))))
        await asyncio.gather(*(c.close() for c in conns))


def settle(pid, quiet_ms=5.0, window_s=0.2, limit_s=30.0):
    """Waits until the server spends under quiet_ms of CPU in a window: the
    set-up's own writes (users seen, mailbox marks raised on close, the WAL
    checkpoint after them) are finished before a measured call starts."""
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        c0 = cpu_s(pid)
        time.sleep(window_s)
        if (cpu_s(pid) - c0) * 1000 < quiet_ms:
            return


def publish(port, user_ids, tag):
    r = requests.post(f"http://127.0.0.1:{port}/api/v1/notifications", timeout=30,
                      headers={"X-API-Key": API_KEY},
                      json={"user_ids": user_ids, "type": "new_like", "title": "Liked",
                            "message": tag, "data": {"tag": tag}})
    assert r.status_code == 202, r.text
    return r


async def wait_for_tag(conns, tag):
    async def one(ws):
        while True:
            if tag in await ws.recv():
                return
    await asyncio.gather(*(one(ws) for ws in conns))


def publish_with_curl(port, user_ids, tag):
    """One publish from curl, a process of its own: the 202's time is the
    HTTP client's (curl's time_total), not this process's, whose event loop
    is busy reading 1,000 sockets. Returns seconds to the 202."""
    body = json.dumps({"user_ids": user_ids, "type": "new_like", "title": "Liked",
                       "message": tag, "data": {"tag": tag}})
    r = subprocess.run(["taskset", "-c", "1", "curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                        "-H", "Content-Type: application/json", "-H", f"X-API-Key: {API_KEY}",
                        "--data-binary", "@-", f"http://127.0.0.1:{port}/api/v1/notifications"],
                       input=body.encode(), capture_output=True, check=True)
    code, total = r.stdout.decode().split()
    assert code == "202", r.stdout
    return float(total)


async def publish_once(port, pid, recipients, online, tag):
    c0, t0 = cpu_s(pid), time.perf_counter()
    waiting = asyncio.create_task(wait_for_tag(online, tag))
    accepted_s = await asyncio.to_thread(publish_with_curl, port, recipients, tag)
    await waiting
    t_all = time.perf_counter()
    c1 = cpu_s(pid)
    return {"accepted_ms": accepted_s * 1000, "delivered_ms": (t_all - t0) * 1000,
            "server_cpu_ms": (c1 - c0) * 1000}


async def sustained(port, pid, online_ids, online, seconds):
    counts = {"calls": 0}
    stop = time.perf_counter() + seconds
    delivered = [0]

    async def reader(ws):
        try:
            while True:
                if '"type":"notification"' in await ws.recv():
                    delivered[0] += 1
        except (websockets.ConnectionClosed, asyncio.CancelledError):
            pass

    readers = [asyncio.create_task(reader(ws)) for ws in online]

    def caller(k):
        session = requests.Session()
        i = 0
        while time.perf_counter() < stop:
            ids = online_ids[(k * 100 + i * 800) % len(online_ids):][:100]
            if len(ids) < 100:
                ids = online_ids[:100]
            r = session.post(f"http://127.0.0.1:{port}/api/v1/notifications", timeout=30,
                             headers={"X-API-Key": API_KEY},
                             json={"user_ids": ids, "type": "new_like", "title": "t", "message": "s"})
            assert r.status_code == 202, r.text
            counts["calls"] += 1
            i += 1

    c0, t0 = cpu_s(pid), time.perf_counter()
    await asyncio.gather(*(asyncio.to_thread(caller, k) for k in range(8)))
    t1 = time.perf_counter()
    await asyncio.sleep(1.0)  # let the last deliveries land
    c1 = cpu_s(pid)
    for t in readers:
        t.cancel()
    wall = t1 - t0
    return {"stored_per_s": counts["calls"] * 100 / wall, "delivered_per_s": delivered[0] / (wall + 1.0),
            "server_cpu_util": (c1 - c0) / (wall + 1.0)}


def summary(name, rows, key):
    vals = sorted(r[key] for r in rows)
    return (f"{name} {key}: median {statistics.median(vals):.1f} ms, "
            f"max {vals[-1]:.1f} ms over {len(vals)} runs")


async def main(args):
    data = tempfile.mkdtemp(prefix="herald-mailbox-bench-")
    port = free_port()
    cmd = ["taskset", "-c", "0", args.herald, "serve", "--port", str(port), "--data-dir", data,
           "--jwt-secret", SECRET, "--api-key", API_KEY, "--workers", "1", "--rate-limit", "1000000",
           "--rate-burst", "1000000", "--rest-rate", "1000000", "--rest-burst", "1000000",
           "--retention-events", "100000", "--max-connections-per-address", "0", "--log-level", "warn"]
    server = subprocess.Popen(cmd)
    out = open(args.out, "w")
    try:
        for _ in range(100):
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        os.sched_setaffinity(0, {1})
        record = lambda row: out.write(json.dumps(row) + "\n")  # noqa: E731
        shown = " ".join(cmd).replace(data, "D").replace(f"--port {port}", "--port P")
        shown = shown.replace(args.herald, os.path.relpath(args.herald, ROOT))
        record({"measure": "_command", "server": shown,
                "client": "taskset -c 1 /usr/bin/python3 bench/scripts/mailbox-bench.py"})

        await fill(port, args.events)
        settle(server.pid)
        replays = [await replay_once(port, server.pid, args.events) for _ in range(args.runs)]
        for r in replays:
            record({"measure": "replay", "events": args.events, **r})
        print(summary(f"replay of {args.events}", replays, "server_cpu_ms"))
        print(summary(f"replay of {args.events}", replays, "client_wall_ms"))

        await make_known(port, 10001, 10000)
        online_ids = list(range(10001, 11001))
        online = []
        for base in range(0, 1000, 200):
            online += await asyncio.gather(*(open_ws(port, u) for u in online_ids[base:base + 200]))
        everyone = list(range(10001, 20001))
        settle(server.pid)
        # One call first, not recorded: the client's own first-call costs
        # (thread pool, the readers' first burst) are not the server's.
        await publish_once(port, server.pid, everyone, online, "warm-up")
        publishes = [await publish_once(port, server.pid, everyone, online, f"tag{i}")
                     for i in range(args.runs)]
        for r in publishes:
            record({"measure": "publish", "recipients": 10000, "online": 1000, **r})
        print(summary("publish to 10,000 (1,000 online)", publishes, "accepted_ms"))
        print(summary("publish to 10,000 (1,000 online)", publishes, "delivered_ms"))
        print(summary("publish to 10,000 (1,000 online)", publishes, "server_cpu_ms"))

        s = await sustained(port, server.pid, online_ids, online, args.sustain)
        record({"measure": "sustained", "online": 1000, "per_call": 100, "in_flight": 8, **s})
        print(f"sustained: {s['stored_per_s']:.0f} notifications/s stored, "
              f"{s['delivered_per_s']:.0f}/s delivered, server CPU {s['server_cpu_util']:.2f}")
        for ws in online:
            await ws.close()
    finally:
        out.close()
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--herald", default=os.path.join(ROOT, "build", "herald"))
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--events", type=int, default=10000)
    p.add_argument("--sustain", type=float, default=10.0)
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "bench", "mailbox.jsonl"))
    asyncio.run(main(p.parse_args()))
