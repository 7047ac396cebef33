"""Presence across cluster nodes (docs/CLUSTER.md, "Redis: presence, numbered
in one place"): herald nodes sharing one Redis, users with tabs on several
nodes, observers on every node. Every connection receives exactly the
transitions applied after its own `connected` snapshot, whichever node it
is on, so the seed client's counter equals the cluster's count on every
connection at quiescence, and every node's /online, /online/count and
/status agree. A user is online once, however many nodes hold their tabs,
and goes offline once, when the last tab anywhere closes; statuses and
invisible mode cross nodes; a SIGKILLed node's users go offline on the
others within the heartbeat TTL (5 s)."""
import asyncio
import random
import time

from presence_counter import Counted, assert_storm_exact, join_storm
from wsutil import connect, recv_type, run

# Every client comes from 127.0.0.1: lift the per-address cap.
FLAGS = ("--max-connections-per-address", "0", "--presence-rate", "100", "--presence-burst", "100")


def cluster(herald_factory, redis_server, n):
    return [herald_factory(*FLAGS, "--redis-url", redis_server.url) for _ in range(n)]


def count_on(srv):
    return srv.get("/api/v1/online/count", srv.token(999999)).json()["online_count"]


def online_on(srv):
    body = srv.get("/api/v1/online?limit=1000", srv.token(999999)).json()
    return {u["user_id"]: (u["connections_count"], u["status"]) for u in body["users"]}


def wait_ready(srv, timeout=15):
    deadline = time.monotonic() + timeout
    while srv.get("/ready").status_code != 200:
        assert time.monotonic() < deadline, "the node never became ready again"
        time.sleep(0.1)


def status_on(srv, user):
    return srv.get(f"/api/v1/status/{user}", srv.token(999999)).json()


async def quiet(nodes, conns, deadline_s=20):
    """Waits (bounded) until every node reports the same count and every
    counter has caught up with it; returns that count."""
    deadline = time.monotonic() + deadline_s
    while True:
        counts = {count_on(n) for n in nodes}
        if len(counts) == 1:
            truth = counts.pop()
            if all(c.count == truth for c in conns) or time.monotonic() > deadline:
                return truth
        elif time.monotonic() > deadline:
            raise AssertionError(f"the nodes never agreed: {counts}")
        await asyncio.sleep(0.2)


def kill(srv):
    """SIGKILL: no clean shutdown, nothing withdrawn from Redis."""
    srv.proc.kill()
    srv.proc.wait()
    srv.proc = None
    srv.log.close()


def test_churn_across_three_nodes_keeps_every_count_exact_and_a_killed_nodes_users_go_offline(
        herald_factory, redis_server):
    nodes = cluster(herald_factory, redis_server, 3)
    rng = random.Random(13)

    async def body():
        observers = [Counted(await connect(nodes[i % 3], 10_000 + i)) for i in range(6)]
        tabs = {}  # user -> [(node index, Counted)]
        everyone = list(observers)
        users = list(range(1, 61))
        end = time.monotonic() + 8
        pending = set()
        while time.monotonic() < end:
            for _ in range(6):  # about 120 opens and closes a second
                u = rng.choice(users)
                open_tabs = tabs.setdefault(u, [])
                if len(open_tabs) < 4 and (not open_tabs or rng.random() < 0.5):
                    async def open_tab(u=u, i=rng.randrange(3)):
                        c = Counted(await connect(nodes[i], u))
                        tabs[u].append((i, c))
                        everyone.append(c)
                    pending.add(asyncio.create_task(open_tab()))
                else:
                    i, c = open_tabs.pop(rng.randrange(len(open_tabs)))
                    everyone.remove(c)
                    pending.add(asyncio.create_task(c.close(abrupt=rng.random() < 0.3)))
            pending = {t for t in pending if not t.done()}
            await asyncio.sleep(0.05)
        await asyncio.gather(*pending)

        truth = await quiet(nodes, everyone)
        expected = {u: len(t) for u, t in tabs.items() if t}
        expected.update({o.user: 1 for o in observers})
        assert truth == len(expected)
        wrong = [(c.user, c.count) for c in everyone if c.count != truth]
        assert not wrong, f"{len(wrong)} of {len(everyone)} counters differ from {truth}: {wrong[:10]}"
        assert not [c.repeats for c in everyone if c.repeats]
        assert all(c.self_events == 0 for c in everyone)
        assert all(o.received > 30 for o in observers)  # the churn was seen on every node
        # Every node lists the same users with their cluster-wide tab counts.
        for n in nodes:
            assert online_on(n) == {u: (k, "online") for u, k in expected.items()}

        # SIGKILL node 2: its users' tabs are gone with it; those with no
        # tab left elsewhere go offline on the survivors, once.
        kill(nodes[2])
        survivors = nodes[:2]
        for u in list(tabs):
            tabs[u] = [(i, c) for i, c in tabs[u] if i != 2]
        left = [c for c in everyone if any(c is t for tl in tabs.values() for _, t in tl)]
        left += [o for k, o in enumerate(observers) if k % 3 != 2]
        started = time.monotonic()
        expected = {u: len(t) for u, t in tabs.items() if t}
        expected.update({o.user: 1 for k, o in enumerate(observers) if k % 3 != 2})
        while count_on(survivors[0]) != len(expected) and time.monotonic() - started < 15:
            await asyncio.sleep(0.2)
        took = time.monotonic() - started
        assert took < 9, f"the killed node's users went offline after {took:.1f} s"
        truth = await quiet(survivors, left)
        assert truth == len(expected)
        wrong = [(c.user, c.count) for c in left if c.count != truth]
        assert not wrong, f"after the kill, {len(wrong)} counters differ from {truth}: {wrong[:10]}"
        assert not [c.repeats for c in left if c.repeats]
        for n in survivors:
            assert online_on(n) == {u: (k, "online") for u, k in expected.items()}
        for c in left:
            await c.close()

    run(body(), timeout=120)


def test_join_storm_across_two_nodes_delivers_each_status_exactly_once(herald_factory, redis_server):
    nodes = cluster(herald_factory, redis_server, 2)
    n = 300

    async def body():
        conns = await join_storm(lambda u: connect(nodes[u % 2], u), n)
        assert_storm_exact(conns, n, await quiet(nodes, conns))
        for c in conns:
            await c.close()

    run(body(), timeout=90)


def test_tabs_on_two_nodes_are_one_user_online_once_and_offline_once(herald_factory, redis_server):
    a, b = cluster(herald_factory, redis_server, 2)

    async def body():
        watcher = Counted(await connect(a, 500))
        tab_a = await connect(a, 7)
        tab_b = await connect(b, 7)
        await asyncio.sleep(0.5)
        assert watcher.received == 1 and watcher.last == {7: "online"}
        for n in (a, b):
            s = status_on(n, 7)
            assert s["online"] is True and s["connections_count"] == 2, s
        await tab_a.close()
        await asyncio.sleep(0.5)
        assert watcher.received == 1  # a tab is still open on b
        assert status_on(a, 7)["connections_count"] == 1
        await tab_b.close()
        deadline = time.monotonic() + 5
        while watcher.last.get(7) != "offline" and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert watcher.received == 2 and watcher.last == {7: "offline"}
        for n in (a, b):
            s = status_on(n, 7)
            assert s["online"] is False and s["connections_count"] == 0, s
        await watcher.close()

    run(body(), timeout=30)


def test_statuses_and_invisible_mode_cross_nodes(herald_factory, redis_server):
    a, b = cluster(herald_factory, redis_server, 2)

    async def body():
        watcher = await connect(b, 500)
        user = await connect(a, 8)
        assert (await recv_type(watcher, "user_status"))["data"]["status"] == "online"

        await user.send('{"type":"presence","status":"away","data":{"note":"lunch"}}')
        p = await recv_type(watcher, "presence")
        assert p["data"]["user_id"] == 8 and p["data"]["status"] == "away"
        assert p["data"]["data"] == {"note": "lunch"}
        assert status_on(b, 8)["status"] == "away"

        # Invisible: offline everywhere, while the socket stays open.
        await user.send('{"type":"presence","status":"offline"}')
        s = await recv_type(watcher, "user_status")
        assert s["data"] == {**s["data"], "user_id": 8, "status": "offline"}
        for n in (a, b):
            assert status_on(n, 8)["online"] is False
            assert count_on(n) == 1  # only the watcher
        # A second tab of an invisible user, on the other node: still invisible.
        second = await connect(b, 8)
        assert second.welcome["data"]["online_count"] == 1
        await user.send('{"type":"presence","status":"busy"}')
        s = await recv_type(watcher, "user_status")
        assert s["data"]["status"] == "online"
        p = await recv_type(watcher, "presence")
        assert p["data"]["status"] == "busy"
        for n in (a, b):
            st = status_on(n, 8)
            assert st["online"] is True and st["status"] == "busy" and st["connections_count"] == 2
        for ws in (user, second, watcher):
            await ws.close()

    run(body(), timeout=30)


def test_presence_is_rebuilt_exactly_after_redis_restarts_empty(herald_factory, redis_server):
    a, b = cluster(herald_factory, redis_server, 2)

    async def body():
        watchers = [Counted(await connect(a, 500)), Counted(await connect(b, 501))]
        one = Counted(await connect(a, 1))
        two_a = Counted(await connect(a, 2))
        two_b = Counted(await connect(b, 2))
        three = Counted(await connect(b, 3))
        await three.ws.send('{"type":"presence","status":"offline"}')  # invisible
        # (an invisible user's own connections count themselves: they never
        # hear of their own user, so theirs is not among the counters checked)
        conns = watchers + [one, two_a, two_b]
        assert await quiet((a, b), conns) == 4

        # Redis restarts with nothing: each node gives it back its share.
        redis_server.stop()
        await asyncio.sleep(0.5)
        redis_server.start()
        for n in (a, b):
            wait_ready(n)
        # The link is up; its rebuild and the mirror's snapshot follow at once.
        await asyncio.sleep(1.0)
        assert await quiet((a, b), conns) == 4
        for n in (a, b):
            assert online_on(n) == {500: (1, "online"), 501: (1, "online"), 1: (1, "online"),
                                    2: (2, "online")}
            assert status_on(n, 3)["online"] is False  # still invisible
        # Every connection's count came through exact, and the stream goes on.
        wrong = [(c.user, c.count) for c in conns if c.count != 4]
        assert not wrong, wrong
        four = Counted(await connect(b, 4))
        conns.append(four)
        assert await quiet((a, b), conns) == 5
        assert all(c.count == 5 for c in conns)
        assert all(w.last.get(4) == "online" for w in watchers)
        for c in conns + [three]:
            await c.close()

    run(body(), timeout=60)
