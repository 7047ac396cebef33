"""Two herald nodes sharing one Redis (--redis-url), as the cluster's broker
step builds them (docs/CLUSTER.md): a typing indicator in a context reaches
a subscriber on the other node, and one to a user reaches that user's
connection on the other node, never the sender; an unsubscribed node gets
nothing. With Redis gone, each node still delivers to its own connections,
/ready answers 503 and herald_broker_up is 0; when Redis returns, the nodes
reconnect and resubscribe by themselves and cross-node delivery resumes. A
node subscribes to a user's or a context's channel while it holds one of
their connections or subscriptions, and only then. A --database-url that
cannot be reached stops the node."""
import asyncio
import time

import requests

from wsutil import connect, recv_json, recv_type, run, send

FAST = ("--rate-limit", "1000000", "--rate-burst", "1000000", "--typing-rate", "1000", "--typing-burst", "1000")


def nodes(herald_factory, redis_server):
    a = herald_factory(*FAST, "--redis-url", redis_server.url)
    b = herald_factory(*FAST, "--redis-url", redis_server.url)
    for srv in (a, b):
        wait_ready(srv, True)
    return a, b


def wait_ready(srv, ready, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = requests.get(srv.base + "/ready", timeout=5)
        if (r.status_code == 200) == ready:
            return r
        time.sleep(0.1)
    raise AssertionError(f"/ready never became {'200' if ready else '503'}")


def broker_up(srv):
    text = requests.get(srv.base + "/metrics", timeout=5).text
    line = next(l for l in text.splitlines() if l.startswith("herald_broker_up "))
    return int(line.split()[1])


async def subscribed(ws, context):
    await send(ws, {"type": "subscribe", "context": context})
    await recv_type(ws, "subscribed")


async def typing_from(ws, context=None, to=None, on=True):
    data = {"is_typing": on, "context": context or "dm"}
    if to:
        data["to_user_id"] = to
    await send(ws, {"type": "typing", "data": data})


async def nothing_for(ws, seconds):
    """No typing for `seconds` (presence, which crosses nodes on its own
    stream, may arrive meanwhile and is not what these tests are about)."""
    deadline = time.monotonic() + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return True
        try:
            m = await recv_json(ws, left)
        except (asyncio.TimeoutError, AssertionError):
            return True
        if m.get("type") not in ("user_status", "presence"):
            raise AssertionError(f"unexpected {m}")


async def eventually_delivered(sender_ws, receiver_ws, context, tries=40):
    """Sends typing into the context until the receiver (another node) sees
    it: the receiving node subscribes to the context's channel a moment
    after its connection subscribes. Returns the first one that arrived."""
    for i in range(tries):
        # on and off in turn: a repeated "on" is coalesced by the sender's node
        await typing_from(sender_ws, context=context, on=i % 2 == 0)
        try:
            return await recv_type(receiver_ws, "typing", timeout=0.25)
        except (AssertionError, asyncio.TimeoutError):
            continue
    raise AssertionError("typing never crossed to the other node")


def test_typing_crosses_nodes_to_subscribers_and_users(herald_factory, redis_server):
    a, b = nodes(herald_factory, redis_server)
    # user 2 is known on node a too (to_user_id must name a known user there)
    assert a.get("/api/v1/users/me", token=a.token(2)).status_code == 200

    async def body():
        alice = await connect(a, 1)        # node a
        bob = await connect(b, 2)          # node b
        carol = await connect(b, 3)        # node b, not subscribed
        # Connection ids carry each node's own high bits: none names a
        # connection on another node.
        ids = [ws.welcome["data"]["connection_id"] for ws in (alice, bob, carol)]
        assert ids[0][:7] != ids[1][:7] and ids[1][:7] == ids[2][:7], ids
        assert len(set(ids)) == 3
        await subscribed(bob, "room:1")
        got = await eventually_delivered(alice, bob, "room:1")
        assert got["data"]["user_id"] == 1 and got["data"]["context"] == "room:1"
        assert await nothing_for(carol, 0.5)
        # To a user on the other node (their node holds their channel).
        await typing_from(alice, to=2, on=False)
        got = await recv_type(bob, "typing", pred=lambda m: m["data"].get("is_typing") is False)
        assert got["data"]["user_id"] == 1
        # Bob typing in the context: alice (node a) is not subscribed.
        await subscribed(carol, "room:1")
        await typing_from(bob, context="room:1", on=True)
        got = await recv_type(carol, "typing")
        assert got["data"]["user_id"] == 2
        assert await nothing_for(alice, 0.5)
        for ws in (alice, bob, carol):
            await ws.close()
    run(body(), timeout=60)


def test_redis_away_and_back(herald_factory, redis_server):
    a, b = nodes(herald_factory, redis_server)
    assert broker_up(a) == 1 and broker_up(b) == 1

    async def body():
        alice = await connect(a, 1)
        dave = await connect(a, 4)     # alice's node
        bob = await connect(b, 2)
        await subscribed(bob, "room:9")
        await subscribed(dave, "room:9")
        await eventually_delivered(alice, bob, "room:9")
        await recv_type(dave, "typing")

        redis_server.stop()
        for srv in (a, b):
            r = wait_ready(srv, False)
            assert r.status_code == 503 and "broker" in r.text
            assert broker_up(srv) == 0
        # Local delivery goes on without Redis.
        await typing_from(alice, context="room:9", on=False)
        got = await recv_type(dave, "typing", pred=lambda m: m["data"]["is_typing"] is False)
        assert got["data"]["user_id"] == 1
        assert await nothing_for(bob, 0.5)

        redis_server.start()
        for srv in (a, b):
            wait_ready(srv, True)
            assert broker_up(srv) == 1
        # Resubscribed by itself: bob's node hears the context again.
        got = await eventually_delivered(alice, bob, "room:9")
        assert got["data"]["user_id"] == 1
        for ws in (alice, dave, bob):
            await ws.close()
    run(body(), timeout=90)


def redis_channels(redis_server):
    """PUBSUB CHANNELS herald:*, read with a raw RESP exchange."""
    import socket
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as s:
        s.sendall(b"PUBSUB CHANNELS herald:*\r\n")
        data = b""
        while True:
            data += s.recv(65536)
            lines = data.split(b"\r\n")
            count = int(lines[0][1:])
            if len(lines) >= 1 + 2 * count + 1:
                return {lines[2 + 2 * i].decode() for i in range(count)}


def wait_channels(redis_server, want, absent=(), timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        have = redis_channels(redis_server)
        if set(want) <= have and not set(absent) & have:
            return have
        time.sleep(0.05)
    raise AssertionError(f"channels {redis_channels(redis_server)}, wanted {want} without {absent}")


def test_a_node_subscribes_to_what_it_holds(herald_factory, redis_server):
    """The first connection of a user (or subscription to a context) on a
    node subscribes its channel; the channel stays while any remains and is
    dropped with the last."""
    a, b = nodes(herald_factory, redis_server)
    assert a.get("/api/v1/users/me", token=a.token(2)).status_code == 200

    async def body():
        alice = await connect(a, 1)
        tab1 = await connect(b, 2)
        tab2 = await connect(b, 2)
        await subscribed(tab1, "room:x")
        await subscribed(tab2, "room:x")
        wait_channels(redis_server, {"herald:all", "herald:u:1", "herald:u:2", "herald:c:room:x"})
        await tab1.close()
        await asyncio.sleep(0.3)
        wait_channels(redis_server, {"herald:u:2", "herald:c:room:x"})
        # The remaining tab still hears alice, directly and in the context.
        await typing_from(alice, to=2, on=True)
        assert (await recv_type(tab2, "typing"))["data"]["user_id"] == 1
        await typing_from(alice, context="room:x", on=True)
        assert (await recv_type(tab2, "typing"))["data"]["context"] == "room:x"
        await send(tab2, {"type": "unsubscribe", "context": "room:x"})
        await recv_type(tab2, "unsubscribed")
        wait_channels(redis_server, {"herald:u:2"}, absent={"herald:c:room:x"})
        await tab2.close()
        wait_channels(redis_server, {"herald:all", "herald:u:1"}, absent={"herald:u:2"})
        await alice.close()
    run(body(), timeout=60)


def test_an_unreachable_database_url_stops_the_node_without_showing_its_password(herald_binary, tmp_path):
    """A node told to use a PostgreSQL it cannot reach stops with exit code 1
    and says why, rather than serving without storage; the URL's password
    appears nowhere in what it prints."""
    import subprocess
    from conftest import SECRET
    r = subprocess.run([herald_binary, "serve", "--port", "1", "--data-dir", str(tmp_path / "d"),
                        "--jwt-secret", SECRET,
                        "--database-url", "postgresql://herald:s3cret-pw@127.0.0.1:1/herald"],
                       capture_output=True, timeout=20)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert b"cannot open storage" in out
    assert b"s3cret-pw" not in out
