"""Chats and notifications across cluster nodes on shared storage
(docs/CLUSTER.md): nodes sharing one Redis and one PostgreSQL
(--redis-url, --database-url). Each user's mailbox seqs come from the one
database, whichever node wrote them; a node forwards chats and
notifications through Redis to the nodes holding the recipient, and a
connection whose seqs arrive out of order from two nodes waits for (or
reads) the missing ones, so it still gets every seq once, in order. A node
killed mid-traffic loses nothing acknowledged: its clients reconnect to a
survivor with `since` and get exactly what they had not."""
import asyncio
import random
import time

import requests

from test_mailbox import mailbox_events, open_ws, seqs, send_chats
from wsutil import recv_json, run, send

API_KEY = "integration-api-key-0123456789abcdef"


def cluster(herald_factory, redis_server, shared_database, n):
    return [herald_factory("--rate-limit", "1000000", "--rate-burst", "1000000", "--api-key", API_KEY,
                           "--max-connections-per-address", "0", "--redis-url", redis_server.url,
                           "--database-url", shared_database) for _ in range(n)]


def kill(srv):
    srv.proc.kill()
    srv.proc.wait()
    srv.proc = None
    srv.log.close()


def test_users_on_different_nodes_chat_and_see_notifications_published_anywhere(
        herald_factory, redis_server, shared_database):
    a, b, c = cluster(herald_factory, redis_server, shared_database, 3)

    async def body():
        alice = await open_ws(a, 1)
        alice_tab = await open_ws(c, 1)   # alice's other device, on a third node
        bob = await open_ws(b, 2)
        assert await send_chats(alice, 2, 3, "x") == [1, 2, 3]
        got = await mailbox_events(bob, quiet=1.0)
        assert seqs(got) == [1, 2, 3]
        assert [e["data"]["message"] for e in got] == ["x-0", "x-1", "x-2"]
        mine = await mailbox_events(alice_tab, quiet=0.5)
        assert seqs(mine) == [1, 2, 3]  # her own copies, with her seqs
        # Bob answers from node b: alice's next seq is 4 on every node.
        assert await send_chats(bob, 1, 1, "y") == [4]
        assert seqs(await mailbox_events(alice, quiet=0.5)) == [4]
        assert seqs(await mailbox_events(alice_tab, quiet=0.5)) == [4]
        # A notification published through node c reaches bob on node b.
        r = requests.post(c.base + "/api/v1/notifications", headers={"X-API-Key": API_KEY}, timeout=10,
                          json={"user_ids": [2], "type": "system", "title": "t", "message": "m", "data": {}})
        assert r.status_code == 202, r.text
        note = await mailbox_events(bob, quiet=0.5)
        assert seqs(note) == [5] and note[0]["type"] == "notification"
        # History is the same on every node.
        for srv in (a, b, c):
            page = srv.get("/api/v1/messages/1", srv.token(2)).json()
            assert [m["message"] for m in page["items"]][:4] == ["y-0", "x-2", "x-1", "x-0"], page
        for ws in (alice, alice_tab, bob):
            await ws.close()

    run(body(), timeout=60)


def test_senders_on_three_nodes_reach_one_recipient_once_each_in_seq_order(
        herald_factory, redis_server, shared_database):
    nodes = cluster(herald_factory, redis_server, shared_database, 3)

    async def body():
        bob = await open_ws(nodes[0], 100)
        senders = [await open_ws(nodes[i % 3], 200 + i) for i in range(6)]
        per_sender = 40
        await asyncio.gather(*(send_chats(s, 100, per_sender, f"s{i}") for i, s in enumerate(senders)))
        total = per_sender * len(senders)
        got = await mailbox_events(bob, quiet=2.0)
        assert seqs(got) == list(range(1, total + 1))  # each seq once, in order, none missing
        assert len({e["data"]["message"] for e in got}) == total
        for ws in senders + [bob]:
            await ws.close()

    run(body(), timeout=90)


def test_a_killed_nodes_clients_resume_on_a_survivor_with_nothing_lost_or_repeated(
        herald_factory, redis_server, shared_database):
    nodes = cluster(herald_factory, redis_server, shared_database, 3)
    rng = random.Random(5)

    async def body():
        # Receivers 1..4 on node 0 (the one to be killed), senders on the others.
        receivers = {u: await open_ws(nodes[0], u) for u in range(1, 5)}
        seen = {u: [] for u in receivers}
        senders = [await open_ws(nodes[1 + i % 2], 50 + i) for i in range(4)]
        acked = {u: 0 for u in receivers}
        stop = asyncio.Event()

        async def send_loop(ws, i):
            n = 0
            while not stop.is_set():
                to = rng.choice(list(receivers))
                await send(ws, {"type": "message", "to_user_id": to, "message": f"{i}-{n}",
                                "client_msg_id": f"k{i}-{n}"})
                while True:
                    msg = await recv_json(ws, 10)
                    if msg["type"] == "ack":
                        acked[to] += 1
                        break
                    assert msg["type"] != "error", msg
                n += 1
                await asyncio.sleep(0.005)

        async def read_loop(u, ws):
            try:
                while True:
                    msg = await recv_json(ws, 30)
                    if msg["type"] == "chat":
                        seen[u].append(msg["seq"])
            except Exception:
                return

        loops = [asyncio.create_task(send_loop(s, i)) for i, s in enumerate(senders)]
        readers = [asyncio.create_task(read_loop(u, ws)) for u, ws in receivers.items()]
        await asyncio.sleep(1.5)
        kill(nodes[0])
        await asyncio.gather(*readers)
        # Each receiver reconnects to a survivor with the last seq it saw.
        resumed = {}
        for u in receivers:
            last = seen[u][-1] if seen[u] else 0
            resumed[u] = await open_ws(nodes[1 + u % 2], u, since=last)
        readers = [asyncio.create_task(read_loop(u, ws)) for u, ws in resumed.items()]
        await asyncio.sleep(1.5)
        stop.set()
        await asyncio.gather(*loops)
        await asyncio.sleep(1.5)  # the last acked chats arrive
        for ws in resumed.values():
            await ws.close()
        await asyncio.gather(*readers)
        for u in receivers:
            # Every acknowledged chat to u, once each, in seq order, none missing.
            assert seen[u] == list(range(1, acked[u] + 1)), (u, acked[u], seen[u][-5:])
        for ws in senders:
            await ws.close()

    run(body(), timeout=90)


def test_three_thousand_chats_sent_at_once_are_acked_and_delivered_in_order(
        herald_factory, redis_server, shared_database):
    """3,000 chats pipelined from one node to a reader on another: the
    group commits take them in batches, each batch's acks reach the sender
    in a burst, and none of it is mistaken for a slow consumer (4010);
    every chat is acked once and delivered once, in seq order."""
    a, b = cluster(herald_factory, redis_server, shared_database, 2)

    async def body():
        alice = await open_ws(a, 1)
        bob = await open_ws(b, 2)
        got = asyncio.create_task(mailbox_events(bob, quiet=5.0))
        assert await send_chats(alice, 2, 3000, "burst") == list(range(1, 3001))
        assert seqs(await got) == list(range(1, 3001))
        await alice.close()
        await bob.close()

    run(body(), timeout=120)


def test_postgres_stopped_and_restarted_mid_traffic(herald_factory, redis_server, shared_database, _postgres):
    """PostgreSQL away: a chat is refused with MESSAGE_PROCESSING_ERROR (never
    acked unstored), /ready answers 503; back: service resumes by itself,
    and every chat that was acked is stored, on every node."""
    a, b = cluster(herald_factory, redis_server, shared_database, 2)
    pg = _postgres.get()

    async def body():
        alice = await open_ws(a, 1)
        bob = await open_ws(b, 2)
        assert await send_chats(alice, 2, 2, "before") == [1, 2]
        pg.stop()
        try:
            await send(alice, {"type": "message", "to_user_id": 2, "message": "lost", "client_msg_id": "down-1"})
            while True:
                msg = await recv_json(alice, 15)
                assert msg["type"] != "ack", msg  # nothing acked that is not stored
                if msg["type"] == "error":
                    assert msg["error_code"] == "MESSAGE_PROCESSING_ERROR" and msg["ref"] == "down-1"
                    break
            r = requests.get(a.base + "/ready", timeout=5)
            assert r.status_code == 503 and "storage" in r.text
        finally:
            pg.start()
        # Back: the next chats are stored and acked (the connections to the
        # database are made again on their next use).
        deadline = time.monotonic() + 20
        acked = None
        i = 0
        while acked is None and time.monotonic() < deadline:
            i += 1
            await send(alice, {"type": "message", "to_user_id": 2, "message": f"after-{i}",
                               "client_msg_id": f"after-{i}"})
            msg = await recv_json(alice, 15)
            if msg["type"] == "ack":
                acked = msg["data"]["seq"]
            else:
                assert msg["type"] == "error", msg
                await asyncio.sleep(0.5)
        assert acked == 3  # the refused chats took no seq
        for srv in (a, b):
            page = srv.get("/api/v1/messages/2", srv.token(1)).json()
            assert [m["message"] for m in page["items"]] == [f"after-{i}", "before-1", "before-0"], page
        assert requests.get(a.base + "/ready", timeout=5).status_code == 200
        await alice.close()
        await bob.close()

    run(body(), timeout=90)


def test_a_follow_made_on_one_node_widens_the_followers_audience_on_every_node(
        herald_factory, redis_server, shared_database):
    """Presence audience `followers`: a user connected to node a follows
    another through node b's REST API; node a's follow graph learns the
    edge, so the followed user's status changes reach the follower there,
    and an unfollow through node b stops them."""
    a, b = [herald_factory("--presence-audience", "followers", "--max-connections-per-address", "0",
                           "--redis-url", redis_server.url, "--database-url", shared_database) for _ in range(2)]

    async def body():
        fan = await open_ws(a, 11)
        star = await open_ws(b, 12)
        r = requests.post(b.base + "/api/v1/users/12/follow", timeout=5,
                          headers={"Authorization": "Bearer " + b.token(11)})
        assert r.status_code == 204, r.text
        await asyncio.sleep(0.5)  # the edge crosses to node a through Redis
        await send(star, {"type": "presence", "status": "away"})
        got = None
        deadline = time.monotonic() + 5
        while got is None and time.monotonic() < deadline:
            msg = await recv_json(fan, 5)
            if msg["type"] == "presence":
                got = msg
        assert got and got["data"]["user_id"] == 12 and got["data"]["status"] == "away"
        r = requests.delete(b.base + "/api/v1/users/12/follow", timeout=5,
                            headers={"Authorization": "Bearer " + b.token(11)})
        assert r.status_code == 204, r.text
        await asyncio.sleep(0.5)
        await send(star, {"type": "presence", "status": "busy"})
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            try:
                msg = await recv_json(fan, max(0.05, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                break
            assert msg["type"] != "presence", msg  # no longer a follower
        await fan.close()
        await star.close()

    run(body(), timeout=30)


def test_redis_stopped_and_restarted_mid_traffic(herald_factory, redis_server, shared_database):
    """Redis away: chats are still stored and acked (storage does not need
    Redis), each node still delivers to its own connections, /ready answers
    503; a chat to a user on the other node waits in storage. Redis back:
    the nodes reconnect, and the next chat across brings the one that waited
    (its seq was skipped, so the recipient reads it from storage first):
    every seq once, in order."""
    a, b = cluster(herald_factory, redis_server, shared_database, 2)

    async def body():
        alice = await open_ws(a, 1)
        bob = await open_ws(b, 2)
        carol = await open_ws(a, 3)   # on alice's node
        assert await send_chats(alice, 2, 1, "before") == [1]
        assert seqs(await mailbox_events(bob, quiet=0.5)) == [1]
        redis_server.stop()
        deadline = time.monotonic() + 10
        while requests.get(a.base + "/ready", timeout=5).status_code != 503:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)
        assert await send_chats(alice, 2, 1, "during") == [2]   # stored and acked
        assert await send_chats(alice, 3, 1, "local") == [3]    # carol is on node a
        assert seqs(await mailbox_events(carol, quiet=0.5)) == [1]
        redis_server.start()
        deadline = time.monotonic() + 20
        while any(requests.get(s.base + "/ready", timeout=5).status_code != 200 for s in (a, b)):
            assert time.monotonic() < deadline, "the nodes never reconnected"
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.5)  # resubscribed
        assert await send_chats(alice, 2, 1, "after") == [4]
        got = await mailbox_events(bob, quiet=1.0)
        assert seqs(got) == [2, 3] and [e["data"]["message"] for e in got] == ["during-0", "after-0"]
        for ws in (alice, bob, carol):
            await ws.close()

    run(body(), timeout=90)
