"""WebSocket close codes and limits (PROTOCOL.md 2 and 7): auth failures,
connection caps, frame size/type/encoding, rate limits, heartbeat and slow
consumers."""
import asyncio
import json
import re
import threading
import time

import websockets

from wsutil import RawWs, close_code, connect, recv_json, recv_type, run, send


def metric(srv, name, labels=""):
    text = srv.get("/metrics").text
    total = 0.0
    found = False
    for line in text.splitlines():
        if line.startswith(name + labels + " ") or (labels == "" and line.startswith(name + " ")):
            total += float(line.split()[-1]); found = True
    return total if found else None


def test_missing_bad_and_expired_token(herald):
    async def body():
        ws = await websockets.connect(herald.ws_url(None))
        assert await close_code(ws) == 4001
        ws = await websockets.connect(herald.ws_url("not.a.jwt"))
        assert await close_code(ws) == 4001
        ws = await websockets.connect(herald.ws_url(herald.token(1)[:-4] + "AAAA"))
        assert await close_code(ws) == 4001
        ws = await websockets.connect(herald.ws_url(herald.token(1, ttl=-10)))
        assert await close_code(ws) == 4003
    run(body())


def test_expired_token_from_cli(herald, herald_binary):
    import subprocess
    from conftest import SECRET
    tok = subprocess.run([herald_binary, "token", "--user-id", "5", "--username", "bob",
                          "--jwt-secret", SECRET, "--ttl", "1"],
                         capture_output=True, text=True, timeout=10, check=True).stdout.strip()

    async def body():
        await asyncio.sleep(2.1)
        ws = await websockets.connect(herald.ws_url(tok))
        assert await close_code(ws) == 4003
    run(body())


def test_token_expires_while_connected(herald):
    async def body():
        ws = await connect(herald, 1, token=herald.token(1, ttl=2))
        t0 = time.monotonic()
        assert await close_code(ws, timeout=6) == 4003
        assert time.monotonic() - t0 < 5
    run(body())


def test_eleventh_connection_4009(herald):
    async def body():
        conns = [await connect(herald, 1) for _ in range(10)]
        extra = await websockets.connect(herald.ws_url(herald.token(1)))
        assert await close_code(extra) == 4009
        # the first ten still work
        await send(conns[0], {"type": "ping"})
        await recv_type(conns[0], "pong")
        for c in conns:
            await c.close()
    run(body())


def test_oversized_frame_1009(herald):
    async def body():
        ws = await connect(herald, 1)
        await ws.send(json.dumps({"type": "ping", "pad": "x" * (70 * 1024)}))
        assert await close_code(ws) == 1009
    run(body())


def test_binary_frame_1003(herald):
    async def body():
        ws = await connect(herald, 1)
        await ws.send(b'{"type":"ping"}')
        assert await close_code(ws) == 1003
    run(body())


def test_invalid_utf8_1007(herald):
    raw = RawWs(herald.port, herald.token(1))
    try:
        op, payload = raw.read_frame()
        assert op == 0x1 and json.loads(payload)["type"] == "connected"
        raw.send_frame(0x1, b'{"type":"ping","x":"\xff\xfe"}')
        assert raw.read_until_close() == 1007
    finally:
        raw.close()


def test_rate_limited_errors(herald):
    async def body():
        ws = await connect(herald, 1)
        for _ in range(100):
            await send(ws, {"type": "ping"})
        pongs = errors = 0
        code = None
        try:
            while pongs + errors < 100:
                m = await recv_json(ws)
                if m["type"] == "pong":
                    pongs += 1
                elif m["type"] == "error":
                    assert m["error_code"] == "RATE_LIMITED"
                    errors += 1
        except websockets.ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd else e.code
        assert errors >= 1
        assert pongs >= 40
        # with the default abuse threshold (10 drops/minute) a 100 burst may close 1008
        assert code in (None, 1008)
    run(body())


def test_rate_limit_abuse_closes_1008(herald_factory):
    srv = herald_factory("--rate-limit", "2", "--rate-burst", "3")

    async def body():
        ws = await connect(srv, 1)
        for _ in range(30):
            try:
                await send(ws, {"type": "ping"})
            except websockets.ConnectionClosed:
                break
        errors = 0
        try:
            while True:
                m = await recv_json(ws)
                if m["type"] == "error":
                    assert m["error_code"] == "RATE_LIMITED"
                    errors += 1
        except websockets.ConnectionClosed as e:
            assert (e.rcvd.code if e.rcvd else e.code) == 1008
        assert errors >= 1
        # another connection of the same user is unaffected
        ws2 = await connect(srv, 1)
        await send(ws2, {"type": "ping"})
        await recv_type(ws2, "pong")
        await ws2.close()
    run(body())


def test_heartbeat_timeout_4008(herald_factory):
    srv = herald_factory("--heartbeat-interval", "1", "--heartbeat-timeout", "2")
    raw = RawWs(srv.port, srv.token(1))
    try:
        t0 = time.monotonic()
        saw_ping = False
        raw.sock.settimeout(6)
        code = None
        while time.monotonic() - t0 < 6:
            op, payload = raw.read_frame()
            if op == 0x9:
                saw_ping = True
            if op == 0x8:
                code = int.from_bytes(payload[:2], "big")
                break
        assert saw_ping
        assert code == 4008
        assert time.monotonic() - t0 < 5
    finally:
        raw.close()


def test_heartbeat_answered_stays_open(herald_factory):
    # The heartbeat sweep runs once a second, so a ping can go out up to 1 s
    # late: the timeout must leave more than one sweep after the interval.
    srv = herald_factory("--heartbeat-interval", "1", "--heartbeat-timeout", "3")

    async def body():
        ws = await connect(srv, 1)   # websockets answers pings by itself
        await asyncio.sleep(3.5)
        await send(ws, {"type": "ping"})
        await recv_type(ws, "pong")
        await ws.close()
    run(body())


def test_slow_consumer_4010(herald_factory):
    srv = herald_factory("--max-queue-messages", "50", "--rate-limit", "100000",
                         "--rate-burst", "100000", "--typing-rate", "100000",
                         "--typing-burst", "100000")
    raw = RawWs(srv.port, srv.token(1), recv_buf=4096)

    async def body():
        ws = await connect(srv, 2)
        ctx_pad = "p" * 120
        deadline = time.monotonic() + 10
        sent = 0
        while time.monotonic() < deadline:
            if (metric(srv, "herald_closes_total", '{code="4010"}') or 0) >= 1:
                break
            for _ in range(200):
                await send(ws, {"type": "typing",
                                "data": {"is_typing": sent % 2 == 0, "context": ctx_pad[:100] + str(sent % 10),
                                         "to_user_id": 1}})
                sent += 1
            await asyncio.sleep(0.05)
        # the spammer itself is fine
        await send(ws, {"type": "ping"})
        await recv_type(ws, "pong", timeout=5)
        await ws.close()

    try:
        run(body())
        assert (metric(srv, "herald_closes_total", '{code="4010"}') or 0) >= 1
        # the slow reader's stream ends with a 4010 close frame (or nothing, if the
        # server could not queue it behind the full buffer)
        assert raw.read_until_close(timeout=5) in (4010, None)
    finally:
        raw.close()
