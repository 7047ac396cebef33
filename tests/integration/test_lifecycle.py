"""Process lifecycle and robustness: restart on the same data dir keeps
state, SIGTERM closes sockets with 1001, bad input never hurts others."""
import asyncio
import json
import time

import pytest
import requests
import websockets

from wsutil import RawWs, close_code, connect, recv_json, recv_type, run, send


def test_restart_keeps_users_last_seen_and_seq(herald_factory, tmp_path):
    d = tmp_path / "persist"
    srv = herald_factory(data_dir=d)

    async def phase1():
        a = await connect(srv, 1, "alice")
        b = await connect(srv, 2, "bob")
        await send(a, {"type": "message", "to_user_id": 2, "message": "before", "client_msg_id": "k1"})
        ack = await recv_type(a, "ack")
        await recv_type(b, "chat")
        await a.close()
        await b.close()
        return ack["data"]

    first = run(phase1())
    time.sleep(0.3)
    tok = srv.token(9)
    before = srv.get("/api/v1/status/1", token=tok).json()
    assert before["online"] is False
    assert srv.stop() == 0

    srv2 = herald_factory(data_dir=d)
    after = srv2.get("/api/v1/status/1", token=tok)
    assert after.status_code == 200
    aj = after.json()
    assert aj["online"] is False and aj["connections_count"] == 0
    assert aj["last_seen"] == before["last_seen"]

    async def phase2():
        a = await connect(srv2, 1, "alice")
        assert a.welcome["data"]["last_seq"] == first["seq"]
        # idempotency survives the restart; the mailbox seq continues
        await send(a, {"type": "message", "to_user_id": 2, "message": "before", "client_msg_id": "k1"})
        ack = await recv_type(a, "ack")
        assert ack["data"]["id"] == first["id"]
        await send(a, {"type": "message", "to_user_id": 2, "message": "after"})
        ack = await recv_type(a, "ack")
        assert ack["data"]["seq"] == first["seq"] + 1
        await a.close()
    run(phase2())


def test_sigkill_loses_no_acknowledged_chat(herald_factory, tmp_path):
    """kill -9 while chats stream in: every chat that was acknowledged is
    stored (an ack follows the commit), with its id, seq and idempotency."""
    d = tmp_path / "killed"
    flags = ("--rate-limit", "1000000", "--rate-burst", "1000000")
    srv = herald_factory(*flags, data_dir=d)
    total, kill_after = 5000, 500

    async def phase1():
        a = await connect(srv, 1, "alice")
        b = await connect(srv, 2, "bob")
        async def sender():
            for i in range(total):
                await send(a, {"type": "message", "to_user_id": 2, "message": f"n{i}",
                               "client_msg_id": f"m{i}"})
                await asyncio.sleep(0)  # interleave with the acks, so the kill lands mid-stream
        sending = asyncio.create_task(sender())
        acked = {}
        while len(acked) < kill_after:
            ack = await recv_type(a, "ack")
            acked[ack["data"]["client_msg_id"]] = ack["data"]
        srv.proc.kill()  # mid-stream: the sender is still sending
        sending.cancel()
        for ws in (a, b):
            ws.transport.abort()  # no close handshake with a dead server
        return acked

    acked = run(phase1())
    srv.proc.wait()
    srv.log.close()
    srv.proc = None  # killed on purpose: not an exit code to check
    assert sorted(a["seq"] for a in acked.values()) == list(range(1, kill_after + 1))

    srv2 = herald_factory(*flags, data_dir=d)

    async def phase2():
        a = await connect(srv2, 1, "alice")
        stored = a.welcome["data"]["last_seq"]
        assert stored >= kill_after
        for cmid in acked:
            await send(a, {"type": "message", "to_user_id": 2, "message": "again",
                           "client_msg_id": cmid})
        for _ in acked:
            ack = (await recv_type(a, "ack"))["data"]
            first = acked[ack["client_msg_id"]]
            assert (ack["id"], ack["seq"]) == (first["id"], first["seq"])
        await send(a, {"type": "message", "to_user_id": 2, "message": "new"})
        ack = await recv_type(a, "ack")
        assert ack["data"]["seq"] == stored + 1
        await a.close()
    run(phase2(), timeout=60)


def test_restart_keeps_accounts(herald_factory, tmp_path):
    d = tmp_path / "acct"
    srv = herald_factory(data_dir=d)
    r = srv.post("/api/v1/auth/register", json={"username": "erin", "password": "password123"})
    assert r.status_code == 201
    assert srv.stop() == 0
    srv2 = herald_factory(data_dir=d)
    r = srv2.post("/api/v1/auth/login", json={"username": "erin", "password": "password123"})
    assert r.status_code == 200
    assert srv2.post("/api/v1/auth/register",
                     json={"username": "Erin", "password": "password123"}).status_code == 409


def test_sigterm_closes_sockets_1001(herald_factory):
    srv = herald_factory()

    async def body():
        a = await connect(srv, 1)
        b = await connect(srv, 2)
        loop = asyncio.get_running_loop()
        stopper = loop.run_in_executor(None, srv.stop)
        codes = await asyncio.gather(close_code(a, 10), close_code(b, 10))
        rc = await stopper
        return codes, rc

    codes, rc = run(body())
    assert codes == [1001, 1001]
    assert rc == 0


def test_bad_input_does_not_hurt_others(herald):
    """Each garbage frame gets exactly the error PROTOCOL.md 3 names for it
    (INVALID_JSON for what is not a JSON object, UNKNOWN_MESSAGE_TYPE for a
    bad type, INVALID_MESSAGE naming the field that breaks a rule of 4), the
    connection stays open, and the bystander is still served."""
    # (frame, error_code, a word of the message that names the broken rule)
    garbage = [
        ("", "INVALID_JSON", "JSON"),
        (" ", "INVALID_JSON", "JSON"),
        ("{", "INVALID_JSON", "JSON"),
        ("}", "INVALID_JSON", "JSON"),
        ("{\"type\":", "INVALID_JSON", "JSON"),
        ("[" * 5000 + "]" * 5000, "INVALID_JSON", "nested"),
        ("{\"a\":" * 3000 + "1" + "}" * 3000, "INVALID_JSON", "nested"),
        (json.dumps({"type": "message", "to_user_id": 10 ** 40, "message": "x"}),
         "INVALID_MESSAGE", "to_user_id"),
        (json.dumps({"type": "message", "to_user_id": -1, "message": "x"}), "INVALID_MESSAGE", "to_user_id"),
        (json.dumps({"type": "message", "to_user_id": 1.5, "message": "x"}), "INVALID_MESSAGE", "to_user_id"),
        ('{"type":"message","to_user_id":1e999,"message":"x"}', "INVALID_MESSAGE", "to_user_id"),
        (json.dumps({"type": "message", "to_user_id": 2, "message": "y" * 5000}), "INVALID_MESSAGE", "message"),
        (json.dumps({"type": "typing", "data": {"is_typing": True, "context": "c" * 200}}),
         "INVALID_MESSAGE", "context"),
        (json.dumps({"type": "typing", "data": "nope"}), "INVALID_MESSAGE", "data"),
        (json.dumps({"type": "presence", "status": "away", "data": {"x": "z" * 2000}}),
         "INVALID_MESSAGE", "data"),
        (json.dumps({"type": "subscribe"}), "INVALID_MESSAGE", "context"),
        (json.dumps({"type": "auth"}), "INVALID_MESSAGE", "token"),
        (json.dumps({"type": "message", "to_user_id": 2, "message": "x", "client_msg_id": "i" * 100}),
         "INVALID_MESSAGE", "client_msg_id"),
        ("\u0000\u0001", "INVALID_JSON", "JSON"),
        ("{\"type\":\"ping\",\"type\":\"bogus\"}", "UNKNOWN_MESSAGE_TYPE", "type"),
    ]

    async def body():
        bystander = await connect(herald, 2)
        bad = await connect(herald, 1)
        replies = []
        for frame, _, _ in garbage:
            await bad.send(frame)
            replies.append(await recv_json(bad))
        for (frame, code, word), reply in zip(garbage, replies):
            assert reply["type"] == "error", (frame[:40], reply)
            assert reply["error_code"] == code, (frame[:40], reply)
            assert word in reply["message"], (frame[:40], reply)
        # ref echoes the client_msg_id of the frame that had one (PROTOCOL.md 3).
        assert [r.get("ref") for r in replies] == [None] * 17 + ["i" * 100, None, None]
        await send(bad, {"type": "ping"})
        await recv_type(bad, "pong")
        await send(bystander, {"type": "ping"})
        await recv_type(bystander, "pong")
        await bad.close()
        await bystander.close()
    run(body(), timeout=60)
    # Raw protocol abuse: a continuation frame with no message to continue, and
    # a reserved opcode, each fail the connection with 1002 (RFC 6455 5.4, 5.2)
    # in a close frame: a silent drop would fail here.
    for op, payload in ((0x0, b"x"), (0x3, b"x")):
        raw = RawWs(herald.port, herald.token(3))
        try:
            op_first, first = raw.read_frame()
            assert op_first == 0x1 and json.loads(first)["type"] == "connected"
            raw.send_frame(op, payload)
            assert raw.read_until_close() == 1002
        finally:
            raw.close()

    async def still_ok():
        c = await connect(herald, 4)
        await send(c, {"type": "ping"})
        await recv_type(c, "pong")
        await c.close()
    run(still_ok())
    assert herald.get("/health").json() == {"status": "ok"}
