"""WebSocket message flows: welcome, ping, chat/ack/idempotency, errors,
typing, presence, invisible mode and multi-device (PROTOCOL.md 2-5)."""
import asyncio
import json
import re

from wsutil import assert_none, close_code, connect, recv_json, recv_type, run, send

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_connected_welcome(herald):
    async def body():
        ws = await connect(herald, 101, "alice")
        w = ws.welcome
        assert set(w) >= {"type", "data"}
        d = w["data"]
        assert d["message"] == "Welcome, alice!"
        assert d["user_id"] == 101 and type(d["user_id"]) is int
        assert d["online_count"] == 1
        assert isinstance(d["connection_id"], str) and d["connection_id"]
        assert ISO.match(d["server_time"]), d
        assert d["heartbeat_interval"] == 30
        assert d["unread_notifications"] == 0
        assert d["last_seq"] == 0
        ws2 = await connect(herald, 102, "bob")
        assert ws2.welcome["data"]["online_count"] == 2
        assert ws2.welcome["data"]["connection_id"] != d["connection_id"]
        await ws.close(); await ws2.close()
    run(body())


def test_ping_pong(herald):
    async def body():
        ws = await connect(herald, 1)
        await send(ws, {"type": "ping", "timestamp": "2025-01-01T00:00:00Z"})
        msg = await recv_json(ws)
        assert set(msg) == {"type", "timestamp"}
        assert msg["type"] == "pong" and ISO.match(msg["timestamp"])
        await ws.close()
    run(body())


def test_chat_ack_delivery_and_idempotency(herald):
    async def body():
        a1 = await connect(herald, 1, "alice")
        a2 = await connect(herald, 1, "alice")
        b = await connect(herald, 2, "bob")
        await send(a1, {"type": "message", "to_user_id": 2, "message": "Hello!",
                        "timestamp": "2025-01-01T00:00:00Z", "client_msg_id": "abc"})
        ack = await recv_type(a1, "ack")
        ad = ack["data"]
        assert ad["client_msg_id"] == "abc"
        assert isinstance(ad["id"], int) and ad["id"] > 0
        assert ad["seq"] == 1 and ISO.match(ad["timestamp"])

        chat = await recv_type(b, "chat")
        assert chat["seq"] == 1 and ISO.match(chat["timestamp"])
        cd = chat["data"]
        assert cd["id"] == ad["id"] and cd["from_user_id"] == 1
        assert cd["from_username"] == "alice" and cd["to_user_id"] == 2
        assert cd["message"] == "Hello!" and ISO.match(cd["timestamp"])

        mine = await recv_type(a2, "chat")
        assert mine["data"]["id"] == ad["id"] and mine["seq"] == ad["seq"]
        await assert_none(a1, "chat", 0.3)

        # repeat from another device: same id, not delivered twice
        await send(a2, {"type": "message", "to_user_id": 2, "message": "Hello!",
                        "client_msg_id": "abc"})
        ack2 = await recv_type(a2, "ack")
        assert ack2["data"]["id"] == ad["id"] and ack2["data"]["client_msg_id"] == "abc"
        await assert_none(b, "chat", 0.6)

        # no client_msg_id -> null in the ack
        await send(a1, {"type": "message", "to_user_id": 2, "message": "again"})
        ack3 = await recv_type(a1, "ack")
        assert ack3["data"]["client_msg_id"] is None and ack3["data"]["id"] != ad["id"]
        chat2 = await recv_type(b, "chat")
        assert chat2["data"]["message"] == "again" and chat2["seq"] == 2
        for w in (a1, a2, b):
            await w.close()
    run(body())


def test_chat_errors(herald):
    async def body():
        a = await connect(herald, 1)
        await send(a, {"type": "message", "to_user_id": 1, "message": "me", "client_msg_id": "x1"})
        e = await recv_type(a, "error")
        assert e["error_code"] == "INVALID_MESSAGE" and e["ref"] == "x1"
        assert isinstance(e["message"], str) and ISO.match(e["timestamp"])
        await send(a, {"type": "message", "to_user_id": 987654, "message": "hi"})
        e = await recv_type(a, "error")
        assert e["error_code"] == "USER_NOT_FOUND"
        await send(a, {"type": "message", "to_user_id": "2", "message": "hi"})
        assert (await recv_type(a, "error"))["error_code"] == "INVALID_MESSAGE"
        await send(a, {"type": "message", "to_user_id": 2, "message": ""})
        assert (await recv_type(a, "error"))["error_code"] == "INVALID_MESSAGE"
        # still usable
        await send(a, {"type": "ping"})
        await recv_type(a, "pong")
        await a.close()
    run(body())


def test_invalid_json_and_unknown_type(herald):
    async def body():
        a = await connect(herald, 1)
        for bad in ["not json{", "[1]", "NaN", "42", '"str"', "null"]:
            await a.send(bad)
            e = await recv_type(a, "error")
            assert e["error_code"] == "INVALID_JSON", (bad, e)
        for obj in [{"type": "bogus"}, {"no": "type"}, {"type": 5}]:
            await send(a, obj)
            e = await recv_type(a, "error")
            assert e["error_code"] == "UNKNOWN_MESSAGE_TYPE", (obj, e)
        await send(a, {"type": "ping"})
        await recv_type(a, "pong")
        await a.close()
    run(body())


def test_typing_direct_and_context(herald):
    async def body():
        a = await connect(herald, 1)
        b = await connect(herald, 2)
        c = await connect(herald, 3)
        await send(a, {"type": "typing", "data": {"is_typing": True, "context": "dm", "to_user_id": 2}})
        t = await recv_type(b, "typing")
        assert t == {"type": "typing", "data": {"user_id": 1, "is_typing": True, "context": "dm"}}
        await assert_none(c, "typing", 0.3)

        await send(b, {"type": "subscribe", "context": "post_123"})
        s = await recv_type(b, "subscribed")
        assert s == {"type": "subscribed", "context": "post_123"}
        await send(a, {"type": "subscribe", "context": "post_123"})
        await recv_type(a, "subscribed")
        await send(a, {"type": "typing", "data": {"is_typing": True, "context": "post_123"}})
        t = await recv_type(b, "typing")
        assert t["data"] == {"user_id": 1, "is_typing": True, "context": "post_123"}
        await assert_none(c, "typing", 0.3)
        await assert_none(a, "typing", 0.1)

        # typist disconnects while typing -> is_typing:false to the audience
        await a.close()
        # (a was typing in "dm" to b as well, so b may get both stops)
        t = await recv_type(b, "typing", pred=lambda m: m["data"]["context"] == "post_123")
        assert t["data"] == {"user_id": 1, "is_typing": False, "context": "post_123"}

        await send(b, {"type": "unsubscribe", "context": "post_123"})
        assert await recv_type(b, "unsubscribed") == {"type": "unsubscribed", "context": "post_123"}
        # missing fields -> INVALID_MESSAGE
        await send(c, {"type": "typing", "data": {"context": "x"}})
        assert (await recv_type(c, "error"))["error_code"] == "INVALID_MESSAGE"
        await send(c, {"type": "typing", "data": {"is_typing": True, "context": ""}})
        assert (await recv_type(c, "error"))["error_code"] == "INVALID_MESSAGE"
        await b.close(); await c.close()
    run(body())


def test_presence_and_user_status(herald):
    async def body():
        a = await connect(herald, 1)
        b = await connect(herald, 2)
        st = await recv_type(a, "user_status")
        assert st["data"]["user_id"] == 2 and st["data"]["status"] == "online"
        assert ISO.match(st["data"]["timestamp"])
        await send(b, {"type": "presence", "status": "away", "data": {"device": "desktop"}})
        p = await recv_type(a, "presence")
        assert p == {"type": "presence", "data": {"user_id": 2, "status": "away", "data": {"device": "desktop"}}}
        await assert_none(b, "presence", 0.3)
        r = herald.get("/api/v1/status/2", token=herald.token(1))
        assert r.status_code == 200 and r.json()["status"] == "away"
        await send(b, {"type": "presence", "status": "sleepy"})
        assert (await recv_type(b, "error"))["error_code"] == "INVALID_MESSAGE"
        await b.close()
        st = await recv_type(a, "user_status", pred=lambda m: m["data"]["status"] == "offline")
        assert st["data"]["user_id"] == 2
        await a.close()
    run(body())


def test_invisible_mode(herald):
    async def body():
        a = await connect(herald, 1)
        b = await connect(herald, 2)
        await recv_type(a, "user_status")
        await send(b, {"type": "presence", "status": "offline"})
        st = await recv_type(a, "user_status", pred=lambda m: m["data"]["user_id"] == 2)
        assert st["data"]["status"] == "offline"
        await assert_none(a, "presence", 0.3)
        r = herald.get("/api/v1/status/2", token=herald.token(1))
        assert r.status_code == 200
        s = r.json()
        assert s["online"] is False and s["connections_count"] == 0 and s["status"] == "offline"
        assert herald.get("/api/v1/online/count", token=herald.token(1)).json() == {"online_count": 1}
        # invisible user's disconnect causes no user_status
        await b.close()
        await assert_none(a, "user_status", 0.6)
        await a.close()
    run(body())


def test_multi_device(herald):
    async def body():
        a = await connect(herald, 1)
        b1 = await connect(herald, 2)
        await recv_type(a, "user_status", pred=lambda m: m["data"]["status"] == "online")
        b2 = await connect(herald, 2)
        await assert_none(a, "user_status", 0.5)
        s = herald.get("/api/v1/status/2", token=herald.token(1)).json()
        assert s["connections_count"] == 2 and s["online"] is True and s["status"] == "online"
        await b1.close()
        await assert_none(a, "user_status", 0.5)
        s = herald.get("/api/v1/status/2", token=herald.token(1)).json()
        assert s["connections_count"] == 1 and s["online"] is True
        await b2.close()
        st = await recv_type(a, "user_status")
        assert st["data"]["user_id"] == 2 and st["data"]["status"] == "offline"
        await a.close()
    run(body())


def test_inband_auth_refresh(herald):
    async def body():
        a = await connect(herald, 1)
        await send(a, {"type": "auth", "token": herald.token(1, ttl=7200)})
        ok = await recv_type(a, "auth_ok")
        assert ISO.match(ok["data"]["expires_at"]) or isinstance(ok["data"]["expires_at"], (int, str))
        await send(a, {"type": "auth", "token": herald.token(2)})
        e = await recv_type(a, "error")
        assert e["error_code"] == "INVALID_TOKEN"
        await send(a, {"type": "auth", "token": "garbage"})
        assert (await recv_type(a, "error"))["error_code"] == "INVALID_TOKEN"
        await send(a, {"type": "ping"})
        await recv_type(a, "pong")
        await a.close()
    run(body())


def test_inband_auth_extends_expiry(herald):
    async def body():
        a = await connect(herald, 1, token=herald.token(1, ttl=2))
        await send(a, {"type": "auth", "token": herald.token(1, ttl=3600)})
        await recv_type(a, "auth_ok")
        await asyncio.sleep(3)
        await send(a, {"type": "ping"})
        await recv_type(a, "pong")
        await a.close()
    run(body())


async def _statuses(ws, n):
    out = []
    while len(out) < n:
        st = await recv_type(ws, "user_status")
        out.append((st["data"]["user_id"], st["data"]["status"]))
    await assert_none(ws, "user_status", 0.4)  # and nothing more
    return out


def _joins_seen(herald_factory, batch_ms):
    """Joins users 2..6 one after another, 2 ms apart (inside one window when
    batching), while user 1 watches, on a server with this window. Each
    connection must see exactly the joins after its own `connected`, in
    order (PROTOCOL.md 5): the watcher all five, joiner k those of k+1..6."""
    herald = herald_factory("--broadcast-batch-ms", str(batch_ms))

    async def body():
        watcher = await connect(herald, 1)
        joiners = []
        for uid in range(2, 7):
            joiners.append(await connect(herald, uid))
            await asyncio.sleep(0.002)
        assert await _statuses(watcher, 5) == [(uid, "online") for uid in range(2, 7)]
        for uid, ws in zip(range(2, 7), joiners):
            assert ws.welcome["data"]["online_count"] == uid
            later = [(j, "online") for j in range(uid + 1, 7)]
            assert await _statuses(ws, len(later)) == later, uid
        for ws in joiners + [watcher]:
            await ws.close()

    run(body())


def test_batched_broadcasts_are_exact_per_connection(herald_factory):
    _joins_seen(herald_factory, 20)


def test_unbatched_broadcasts_are_exact_per_connection(herald_factory):
    _joins_seen(herald_factory, 0)


def _first_after_join(herald_factory, *flags, pause):
    """What the watcher receives first after a join when it pings `pause`
    seconds later: a pong (a message to one user is never delayed) or the
    user_status (a broadcast, which waits for its window)."""
    herald = herald_factory(*flags)

    async def body():
        watcher = await connect(herald, 1)
        joiner = await connect(herald, 2)
        await asyncio.sleep(pause)
        await send(watcher, {"type": "ping"})
        first = (await recv_json(watcher))["type"]
        second = (await recv_json(watcher))["type"]
        await joiner.close(); await watcher.close()
        return first, second

    return run(body())


def test_a_broadcast_waits_for_its_window(herald_factory):
    assert _first_after_join(herald_factory, "--broadcast-batch-ms", "1000",
                             "--broadcast-batch-max-ms", "1000", pause=0) == ("pong", "user_status")


def test_without_a_window_a_broadcast_leaves_at_once(herald_factory):
    assert _first_after_join(herald_factory, "--broadcast-batch-ms", "0",
                             pause=0.3) == ("user_status", "pong")
