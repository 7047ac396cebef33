"""Presence is exact for every connection (PROTOCOL.md 5), with batching on
and two workers: each connection receives exactly the user_status
transitions applied after its own `connected` snapshot, in order, none
missing and none repeated. So the seed client's arithmetic (online_count,
+1 per online, -1 per offline) equals /online/count at quiescence on every
connection, and no stream shows the same status twice in a row for a user.
"""
import asyncio
import random
import time

from presence_counter import Counted, assert_storm_exact, join_storm
from wsutil import connect, run


async def _quiet_count(srv, conns, deadline_s=15):
    """Waits (bounded) until the server's count is steady and every counter
    has caught up with it; returns the server's count."""
    deadline = time.monotonic() + deadline_s
    while True:
        truth = srv.get("/api/v1/online/count", srv.token(999999)).json()["online_count"]
        if all(c.count == truth for c in conns) or time.monotonic() > deadline:
            return truth
        await asyncio.sleep(0.2)


def test_churn_keeps_every_connections_count_exact(herald_factory):
    # Two workers, the default 20 ms broadcast window; every client comes
    # from 127.0.0.1, so the per-address cap (256) is lifted.
    srv = herald_factory("--max-connections-per-address", "0")
    rng = random.Random(9)

    async def body():
        observers = [Counted(await connect(srv, 10_000 + i)) for i in range(5)]
        tabs = {}  # user -> [Counted]
        everyone = list(observers)
        users = list(range(1, 81))
        end = time.monotonic() + 8
        pending = set()
        while time.monotonic() < end:
            for _ in range(8):  # about 160 opens and closes a second
                u = rng.choice(users)
                open_tabs = tabs.setdefault(u, [])
                if len(open_tabs) < 4 and (not open_tabs or rng.random() < 0.5):
                    async def open_tab(u=u):
                        c = Counted(await connect(srv, u))
                        tabs[u].append(c)
                        everyone.append(c)
                    pending.add(asyncio.create_task(open_tab()))
                else:
                    c = open_tabs.pop(rng.randrange(len(open_tabs)))
                    everyone.remove(c)
                    pending.add(asyncio.create_task(c.close(abrupt=rng.random() < 0.3)))
            pending = {t for t in pending if not t.done()}
            await asyncio.sleep(0.05)
        await asyncio.gather(*pending)

        truth = await _quiet_count(srv, everyone)
        online = {u for u, t in tabs.items() if t} | {o.user for o in observers}
        assert truth == len(online)
        wrong = [(c.user, c.count) for c in everyone if c.count != truth]
        assert not wrong, f"{len(wrong)} of {len(everyone)} counters differ from {truth}: {wrong[:10]}"
        assert not [c.repeats for c in everyone if c.repeats]
        assert all(c.self_events == 0 for c in everyone)
        assert all(o.received > 50 for o in observers)  # the churn was seen
        for c in everyone:
            await c.close()

    run(body(), timeout=90)


def test_join_storm_delivers_each_status_exactly_once(herald_factory):
    # Every client comes from 127.0.0.1: lift the per-address cap (256).
    srv = herald_factory("--max-connections-per-address", "0")
    n = 400

    async def body():
        conns = await join_storm(lambda u: connect(srv, u), n)
        assert_storm_exact(conns, n, await _quiet_count(srv, conns))
        for c in conns:
            await c.close()

    run(body(), timeout=90)
