"""docs/OPERATIONS.md's worked example runs as written: scripts/cluster-example.sh
starts Redis, PostgreSQL, three Herald nodes and nginx (on free loopback
ports, in a temp dir); through nginx, /ready answers, two users chat and see
each other online, and both are counted on every node; `stop` leaves none
of its processes running."""
import asyncio
import os
import shutil
import subprocess
import tempfile

import pytest
import requests
import websockets

from conftest import _free_port, make_token
from wsutil import recv_json, run, send

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "cluster-example.sh")


def test_the_worked_example_runs_as_written(herald_binary):
    for tool in ("nginx", "redis-server", "/usr/lib/postgresql/15/bin/initdb", "curl"):
        if not shutil.which(tool) and not os.path.exists(tool):
            pytest.skip(f"{tool} is not installed (scripts/install-deps.sh installs it)")
    # Under /tmp, not pytest's root-only temp dir: PostgreSQL runs as
    # `postgres` when the tests run as root.
    work = tempfile.mkdtemp(prefix="herald-ops-")
    os.chmod(work, 0o755)  # PostgreSQL (as `postgres`) must reach its directory
    ports = [_free_port() for _ in range(6)]
    env = dict(os.environ, HERALD_BIN=herald_binary, HERALD_PORT=str(ports[0]),
               NODE_PORTS=" ".join(map(str, ports[1:4])), REDIS_PORT=str(ports[4]), PG_PORT=str(ports[5]))
    data = os.path.join(work, "cluster-data")
    try:
        r = subprocess.run([SCRIPT, "start", data], env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        base = f"http://127.0.0.1:{ports[0]}"
        assert requests.get(base + "/ready", timeout=5).json() == {"status": "ready"}
        secret = open(os.path.join(data, "jwt-secret")).read().strip()

        async def body():
            def url(user):
                return f"ws://127.0.0.1:{ports[0]}/api/v1/ws?token={make_token(user, f'user{user}', secret=secret)}"
            alice = await websockets.connect(url(1))
            assert (await recv_json(alice))["type"] == "connected"
            bob = await websockets.connect(url(2))
            assert (await recv_json(bob))["type"] == "connected"
            await send(alice, {"type": "message", "to_user_id": 2, "message": "hello", "client_msg_id": "m1"})
            while True:
                m = await recv_json(bob, 10)
                if m["type"] == "chat":
                    assert m["data"]["message"] == "hello"
                    break
            for port in ports[1:4]:  # every node counts both, whichever holds them
                count = requests.get(f"http://127.0.0.1:{port}/api/v1/online/count", timeout=5,
                                     headers={"Authorization": "Bearer " + make_token(9, "ops", secret=secret)})
                assert count.json()["online_count"] == 2
            await alice.close()
            await bob.close()

        run(body(), timeout=30)
    finally:
        subprocess.run([SCRIPT, "stop", data], env=env, capture_output=True, timeout=60)
        pids = [os.path.join(data, f) for f in ("nginx.pid", "redis.pid", "node1.pid", "node2.pid", "node3.pid")]
        alive = []
        for path in pids:
            if os.path.exists(path):
                pid = int(open(path).read().strip() or 0)
                if pid and os.path.exists(f"/proc/{pid}"):
                    alive.append(path)
        shutil.rmtree(work, ignore_errors=True)
    assert not alive, f"still running after stop: {alive}"
