"""The seed client's view of presence, kept per connection: its online
counter (`connected.data.online_count`, +1 per `user_status` online, -1 per
offline), the last status it saw of each user, and what would betray an
inexact stream: the same status twice in a row for a user, or an event
about its own user."""
import asyncio
import json

import websockets


class Counted:
    """One connection that keeps the seed client's online counter."""

    def __init__(self, ws):
        self.ws = ws
        self.user = ws.welcome["data"]["user_id"]
        self.count = ws.welcome["data"]["online_count"]
        self.last = {}        # subject -> last status seen
        self.repeats = []     # (subject, status) seen twice in a row
        self.self_events = 0  # events about its own user (must be none)
        self.received = 0
        self.task = asyncio.create_task(self._read())

    async def _read(self):
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                if msg.get("type") != "user_status":
                    continue
                self.received += 1
                d = msg["data"]
                subject, status = d["user_id"], d["status"]
                if subject == self.user:
                    self.self_events += 1
                if self.last.get(subject) == status:
                    self.repeats.append((subject, status))
                self.last[subject] = status
                self.count += 1 if status == "online" else -1
        except websockets.ConnectionClosed:
            pass

    async def close(self, abrupt=False):
        if abrupt:
            self.ws.transport.abort()
        else:
            await self.ws.close()
        await asyncio.gather(self.task, return_exceptions=True)


async def join_storm(connect_user, n, wave=100):
    """Users 1..n join `wave` at once, waves back to back; `connect_user(u)`
    opens user u's connection. Returns their Counted, in join order."""
    conns = []

    async def join(u):
        conns.append(Counted(await connect_user(u)))

    for start in range(1, n + 1, wave):
        await asyncio.gather(*(join(u) for u in range(start, min(start + wave, n + 1))))
    return conns


def assert_storm_exact(conns, n, truth):
    """At quiescence after a join storm: everyone counted, and each user
    heard of exactly the users who joined after its snapshot (N(N-1)/2 in
    all), with no status repeated."""
    assert truth == n
    assert sum(c.received for c in conns) == n * (n - 1) // 2
    assert all(c.count == n and not c.repeats for c in conns)
