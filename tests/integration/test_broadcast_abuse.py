"""Broadcast amplification (issue 10): a presence or typing message reaches
every online user or every subscriber, so one user with ten tabs must not be
able to send ten connections' worth of them. Each user has one budget across
all their tabs (presence: burst 5, then 1/s; typing: burst 10, then 5/s);
beyond it the message is dropped with RATE_LIMITED. Repeats of the same
status are coalesced."""
import asyncio
import json
import time

import websockets

from wsutil import connect, recv_type, run, send


async def _count(ws, typ, subject, seconds):
    """Messages of this type about `subject` arriving within `seconds`."""
    n = 0
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        except asyncio.TimeoutError:
            break
        if msg.get("type") == typ and msg["data"]["user_id"] == subject:
            n += 1
    return n


async def _errors(ws, seconds=0.5):
    codes = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            msg = json.loads(await asyncio.wait_for(ws.recv(), left))
        except (asyncio.TimeoutError, websockets.ConnectionClosed):
            break
        if msg.get("type") == "error":
            codes.append(msg["error_code"])
    return codes


def test_ten_tabs_share_one_presence_budget(herald):
    async def body():
        observer = await connect(herald, 1)
        tabs = [await connect(herald, 2) for _ in range(10)]
        await recv_type(observer, "user_status")  # user 2 online
        started = time.monotonic()
        for i in range(20):  # 200 status changes, each a change (away/busy)
            for tab in tabs:
                await send(tab, {"type": "presence", "status": "away" if i % 2 else "busy"})
        elapsed = time.monotonic() - started
        seen = await _count(observer, "presence", 2, 1.5)
        allowed = 5 + int(elapsed + 1.5) + 1  # burst, then 1 a second
        assert 1 <= seen <= allowed, (seen, allowed)
        codes = [c for tab in tabs for c in await _errors(tab, 0.2)]
        assert codes.count("RATE_LIMITED") >= 200 - allowed
        assert set(codes) == {"RATE_LIMITED"}
        for ws in tabs + [observer]:
            await ws.close()
    run(body())


def test_ten_tabs_share_one_typing_budget(herald):
    async def body():
        observer = await connect(herald, 1)
        await send(observer, {"type": "subscribe", "context": "room"})
        await recv_type(observer, "subscribed")
        tabs = [await connect(herald, 2) for _ in range(10)]
        started = time.monotonic()
        for i in range(20):
            for tab in tabs:
                await send(tab, {"type": "typing", "data": {"is_typing": i % 2 == 0, "context": "room"}})
        elapsed = time.monotonic() - started
        seen = await _count(observer, "typing", 2, 1.5)
        allowed = 10 + 5 * (int(elapsed + 1.5) + 1)
        assert 1 <= seen <= allowed, (seen, allowed)
        codes = [c for tab in tabs for c in await _errors(tab, 0.2)]
        assert "RATE_LIMITED" in codes and set(codes) == {"RATE_LIMITED"}
        for ws in tabs + [observer]:
            await ws.close()
    run(body())


def test_the_same_status_again_is_not_broadcast(herald):
    async def body():
        observer = await connect(herald, 1)
        user = await connect(herald, 2)
        await recv_type(observer, "user_status")
        for _ in range(4):
            await send(user, {"type": "presence", "status": "away", "data": {"device": "mobile"}})
        assert await _count(observer, "presence", 2, 0.8) == 1
        assert await _errors(user, 0.2) == []
        await user.close(); await observer.close()
    run(body())
