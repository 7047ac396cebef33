"""Chat history (PROTOCOL.md 6.5), black-box: the real binary, chats sent
over WebSockets, read back over HTTP with Bearer tokens.

GET /api/v1/messages/{user_id}: the caller's conversation with that user,
newest first, `limit` default 50 (1..100), `before` an exclusive id cursor,
`next_before` the last item's id when more remain; the first page marks the
conversation read. GET /api/v1/conversations: one row per partner, newest
last message first, with the unread count."""
import asyncio
import re

import websockets

from wsutil import recv_json, run, send

FAST = ("--rate-limit", "1000000", "--rate-burst", "1000000",
        "--rest-rate", "1000000", "--rest-burst", "1000000")  # many REST reads per user
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


async def open_ws(srv, user):
    ws = await asyncio.wait_for(websockets.connect(srv.ws_url(srv.token(user)), max_size=None), 5)
    first = await recv_json(ws)
    assert first["type"] == "connected", first
    return ws


async def chat(ws, to, texts):
    """Sends each text in turn, waiting for its ack; returns the acks' data."""
    acks = []
    for text in texts:
        await send(ws, {"type": "message", "to_user_id": to, "message": text})
        while True:
            msg = await recv_json(ws, 10)
            assert msg["type"] != "error", msg
            if msg["type"] == "ack":
                acks.append(msg["data"])
                break
    return acks


def pages(srv, user, path, limit):
    """Every item of a list, following next_before; and the number of pages."""
    items, before, n = [], None, 0
    while True:
        query = f"limit={limit}" + (f"&before={before}" if before is not None else "")
        r = srv.get(f"{path}?{query}", token=srv.token(user))
        assert r.status_code == 200, r.text
        body = r.json()
        n += 1
        assert set(body) == {"items", "next_before"}
        assert len(body["items"]) <= limit
        items += body["items"]
        if body["next_before"] is None:
            return items, n
        assert len(body["items"]) == limit
        last = body["items"][-1]
        assert body["next_before"] == (last["id"] if "id" in last else last["last_message"]["id"])
        before = body["next_before"]


def conversations(srv, user):
    r = srv.get("/api/v1/conversations", token=srv.token(user))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_pages_newest_first_both_sides_and_reading_marks_read(herald_factory):
    srv = herald_factory(*FAST)

    async def body():
        alice, bob, carol = await open_ws(srv, 1), await open_ws(srv, 2), await open_ws(srv, 3)
        sent = []  # (id, from, to, text, sender_seq)
        for i in range(4):
            for a in await chat(alice, 2, [f"a{i}-0", f"a{i}-1"]):
                sent.append((a["id"], 1, 2, None, a["seq"]))
            for a in await chat(bob, 1, [f"b{i}"]):
                sent.append((a["id"], 2, 1, None, a["seq"]))
        for a in await chat(carol, 1, ["c0", "c1"]):
            sent.append((a["id"], 3, 1, None, a["seq"]))
        for ws in (alice, bob, carol):
            await ws.close()
        return sent

    sent = run(body())
    ab = [s for s in sent if {s[1], s[2]} == {1, 2}]
    ids_ab = sorted((s[0] for s in ab), reverse=True)

    # Unread before reading: 4 from bob, 2 from carol; carol's is newest.
    rows = conversations(srv, 1)
    assert [r["user_id"] for r in rows] == [3, 2]
    assert [r["unread_count"] for r in rows] == [2, 4]
    assert rows[0]["username"] == "user3"
    assert rows[0]["last_message"]["message"] == "c1"
    assert rows[0]["last_message"]["from_user_id"] == 3 and rows[0]["last_message"]["to_user_id"] == 1
    assert rows[1]["last_message"]["id"] == ids_ab[0]

    # Bob's side first (does not mark alice's): pages of 5, newest first.
    items, n = pages(srv, 2, "/api/v1/messages/1", 5)
    assert [m["id"] for m in items] == ids_ab and n == 3
    assert conversations(srv, 1)[1]["unread_count"] == 4
    assert conversations(srv, 2)[0]["unread_count"] == 0  # bob read alice's

    # Alice's side: the same ids, her own seqs, the chat event's fields.
    items, n = pages(srv, 1, "/api/v1/messages/2", 3)
    assert [m["id"] for m in items] == ids_ab and n == 4
    by_id = {s[0]: s for s in ab}
    for m in items:
        assert set(m) == {"id", "from_user_id", "from_username", "to_user_id", "message", "timestamp", "seq"}
        s = by_id[m["id"]]
        assert (m["from_user_id"], m["to_user_id"]) == (s[1], s[2])
        assert m["from_username"] == f"user{s[1]}"
        assert ISO.match(m["timestamp"]), m
        if s[1] == 1:
            assert m["seq"] == s[4]  # her ack's seq
    assert sorted(m["seq"] for m in items) == list(range(1, 13))  # alice's seqs 1..12 are these chats

    # Default limit 50 holds all 12; reading marked bob's conversation read.
    r = srv.get("/api/v1/messages/2", token=srv.token(1))
    assert len(r.json()["items"]) == 12 and r.json()["next_before"] is None
    rows = conversations(srv, 1)
    assert [(r["user_id"], r["unread_count"]) for r in rows] == [(3, 2), (2, 0)]


def test_new_messages_after_reading_are_unread_again(herald_factory):
    srv = herald_factory(*FAST)

    async def body(texts):
        alice, bob = await open_ws(srv, 1), await open_ws(srv, 2)
        await chat(bob, 1, texts)
        await alice.close()
        await bob.close()

    run(body(["one", "two"]))
    assert conversations(srv, 1)[0]["unread_count"] == 2
    # An older page marks nothing.
    first = srv.get("/api/v1/messages/2?limit=1", token=srv.token(1)).json()
    assert conversations(srv, 1)[0]["unread_count"] == 0
    older = srv.get(f"/api/v1/messages/2?before={first['items'][0]['id']}", token=srv.token(1))
    assert older.status_code == 200 and [m["message"] for m in older.json()["items"]] == ["one"]
    run(body(["three"]))
    assert conversations(srv, 1)[0]["unread_count"] == 1
    srv.get(f"/api/v1/messages/2?before={first['items'][0]['id']}", token=srv.token(1))
    assert conversations(srv, 1)[0]["unread_count"] == 1
    srv.get("/api/v1/messages/2", token=srv.token(1))
    assert conversations(srv, 1)[0]["unread_count"] == 0


def test_conversation_list_order_and_paging(herald_factory):
    srv = herald_factory(*FAST)

    async def body():
        alice = await open_ws(srv, 1)
        others = {u: await open_ws(srv, u) for u in range(2, 9)}
        # Partners 2..8 in turn, then 4 and 2 again: newest first 2, 4, 8, 7, 6, 5, 3.
        for u in range(2, 9):
            await chat(alice, u, [f"to {u}"])
        await chat(others[4], 1, ["from 4"])
        await chat(alice, 2, ["to 2 again"])
        for ws in [alice, *others.values()]:
            await ws.close()

    run(body())
    items, n = pages(srv, 1, "/api/v1/conversations", 2)
    assert [r["user_id"] for r in items] == [2, 4, 8, 7, 6, 5, 3] and n == 4
    assert [r["last_message"]["message"] for r in items[:3]] == ["to 2 again", "from 4", "to 8"]
    assert [r["unread_count"] for r in items] == [0, 1, 0, 0, 0, 0, 0]
    # A partner sees only their own conversation with alice.
    rows = conversations(srv, 5)
    assert [(r["user_id"], r["last_message"]["message"]) for r in rows] == [(1, "to 5")]
    # A user with no conversations.
    assert srv.get("/api/v1/conversations", token=srv.token(77)).json() == {"items": [], "next_before": None}


def test_only_the_callers_conversations_and_bad_input(herald_factory):
    srv = herald_factory(*FAST)

    async def body():
        alice, bob, carol = await open_ws(srv, 1), await open_ws(srv, 2), await open_ws(srv, 3)
        await chat(alice, 2, ["secret between 1 and 2"])
        await chat(carol, 1, ["hello from 3"])
        for ws in (alice, bob, carol):
            await ws.close()

    run(body())
    # Carol asking for user 2 sees her (empty) conversation with 2, never 1-2's.
    r = srv.get("/api/v1/messages/2", token=srv.token(3))
    assert r.status_code == 200 and r.json() == {"items": [], "next_before": None}
    r = srv.get("/api/v1/messages/1", token=srv.token(3))
    assert [m["message"] for m in r.json()["items"]] == ["hello from 3"]
    assert "secret" not in srv.get("/api/v1/conversations", token=srv.token(3)).text

    assert srv.get("/api/v1/messages/2").status_code == 401
    assert srv.get("/api/v1/conversations").status_code == 401
    assert srv.get("/api/v1/messages/abc", token=srv.token(1)).status_code == 422
    assert srv.get("/api/v1/messages/1.5", token=srv.token(1)).status_code == 422
    assert srv.get("/api/v1/messages/424242", token=srv.token(1)).status_code == 404
    for q in ("limit=0", "limit=101", "limit=x", "before=0", "before=-3", "before=z"):
        assert srv.get(f"/api/v1/messages/2?{q}", token=srv.token(1)).status_code == 422, q
        assert srv.get(f"/api/v1/conversations?{q}", token=srv.token(1)).status_code == 422, q
    assert srv.get("/api/v1/messages/2?limit=100", token=srv.token(1)).status_code == 200
    assert srv.get("/api/v1/conversations?limit=1", token=srv.token(1)).status_code == 200


def test_unicode_and_sql_metacharacters_round_trip(herald_factory):
    srv = herald_factory(*FAST)
    texts = ["héllo wörld 🌍 日本語 \u202e", "'; DROP TABLE messages; --", "\" OR 1=1 -- \\ %_ `x` $1 ?1 \t\n"]

    async def body():
        alice, bob = await open_ws(srv, 1), await open_ws(srv, 2)
        await chat(alice, 2, texts)
        await alice.close()
        await bob.close()

    run(body())
    items = srv.get("/api/v1/messages/1", token=srv.token(2)).json()["items"]
    assert [m["message"] for m in items] == texts[::-1]
    assert conversations(srv, 2)[0]["last_message"]["message"] == texts[-1]
