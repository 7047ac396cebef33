"""Mailbox replay and the offline queue (PROTOCOL.md 4.3), black-box: the
real binary with 2 workers, real sockets and real SQLite files.

Every chat a user receives or sends has the next seq of their mailbox. A
connection with `since=N` gets every event after N, then live ones; one
without `since`, from a user who had no open connection, gets what arrived
since their last connection closed. No gap, no duplicate, in order."""
import asyncio
import json

import websockets

from wsutil import RawWs, assert_none, recv_json, run, send

FAST = ("--rate-limit", "1000000", "--rate-burst", "1000000")


async def open_ws(srv, user, since=None):
    query = f"since={since}" if since is not None else ""
    ws = await asyncio.wait_for(
        websockets.connect(srv.ws_url(srv.token(user), query), max_size=None), 5)
    first = await recv_json(ws)
    assert first["type"] == "connected", first
    ws.welcome = first
    return ws


async def send_chats(ws, to, n, tag):
    """Sends n chats (all at once), then waits for their n acks; returns the
    acks' seqs (the sender's mailbox seqs), in order."""
    for i in range(n):
        await send(ws, {"type": "message", "to_user_id": to, "message": f"{tag}-{i}",
                        "client_msg_id": f"{tag}-{i}"})
    seqs = []
    while len(seqs) < n:
        msg = await recv_json(ws, 10)
        assert msg["type"] != "error", msg
        if msg["type"] == "ack":
            seqs.append(msg["data"]["seq"])
    return seqs


async def mailbox_events(ws, quiet=1.0, limit=None):
    """Chats and notifications until nothing arrives for `quiet` seconds (or
    `limit` have arrived): their frames, in arrival order."""
    events = []
    while limit is None or len(events) < limit:
        try:
            msg = await recv_json(ws, quiet)
        except asyncio.TimeoutError:
            break
        if msg["type"] in ("chat", "notification"):
            events.append(msg)
    return events


def seqs(events):
    return [e["seq"] for e in events]


def test_offline_queue_arrives_once_in_order_after_connected(herald_factory):
    srv = herald_factory(*FAST)

    async def body():
        bob = await open_ws(srv, 2)  # known, then offline
        await bob.close()
        alice = await open_ws(srv, 1)
        assert await send_chats(alice, 2, 3, "off") == [1, 2, 3]
        bob = await open_ws(srv, 2)  # no since: the seed's client
        assert bob.welcome["data"]["last_seq"] == 3
        assert "resync" not in bob.welcome["data"]
        got = await mailbox_events(bob)
        assert seqs(got) == [1, 2, 3]
        assert [e["data"]["message"] for e in got] == ["off-0", "off-1", "off-2"]
        assert all(e["data"]["from_user_id"] == 1 and e["data"]["from_username"] == "user1" for e in got)
        await bob.close()
        # Read them all: the next connection has nothing to replay.
        bob = await open_ws(srv, 2)
        await assert_none(bob, "chat", wait=0.8)
        # A second tab of a user already online replays nothing either.
        tab2 = await open_ws(srv, 2)
        await assert_none(tab2, "chat", wait=0.5)
        for ws in (alice, bob, tab2):
            await ws.close()
    run(body())


def test_resume_with_since_gets_exactly_what_followed(herald_factory):
    srv = herald_factory(*FAST)

    async def body():
        bob = await open_ws(srv, 2)
        alice = await open_ws(srv, 1)
        await send_chats(alice, 2, 5, "a")
        assert seqs(await mailbox_events(bob, limit=5)) == [1, 2, 3, 4, 5]
        await bob.close()
        await send_chats(alice, 2, 5, "b")
        bob = await open_ws(srv, 2, since=5)
        assert bob.welcome["data"]["last_seq"] == 10
        got = await mailbox_events(bob)
        assert seqs(got) == [6, 7, 8, 9, 10]
        assert [e["data"]["message"] for e in got] == [f"b-{i}" for i in range(5)]
        # The sender's own mailbox holds what it sent: a resume of it too.
        await alice.close()
        alice = await open_ws(srv, 1, since=8)
        mine = await mailbox_events(alice)
        assert seqs(mine) == [9, 10]
        assert all(e["data"]["from_user_id"] == 1 for e in mine)
        await alice.close()
        await bob.close()
    run(body())


def test_events_sent_during_the_replay_arrive_once_after_it(herald_factory):
    """Senders on both workers keep chatting while the recipient reconnects
    with since, again and again: each stream is consecutive from since+1,
    through the replay and on into live events."""
    srv = herald_factory(*FAST)

    async def body():
        senders = [await open_ws(srv, u) for u in (1, 3, 4, 5)]
        bob = await open_ws(srv, 2)
        await bob.close()
        stop = asyncio.Event()

        async def chatter(ws, tag):
            n = 0
            while not stop.is_set():
                await send_chats(ws, 2, 5, f"{tag}-{n}")
                await asyncio.sleep(0.01)
                n += 1

        tasks = [asyncio.create_task(chatter(ws, f"s{i}")) for i, ws in enumerate(senders)]
        try:
            last = 0
            for _ in range(6):
                await asyncio.sleep(0.2)
                bob = await open_ws(srv, 2, since=last)
                replayed_upto = bob.welcome["data"]["last_seq"]
                assert replayed_upto > last
                got = []
                while not got or got[-1] < replayed_upto + 30:  # the replay, then live ones
                    msg = await recv_json(bob, 5)
                    if msg["type"] == "chat":
                        got.append(msg["seq"])
                assert got == list(range(last + 1, last + 1 + len(got))), got[:20]
                last = got[-1]
                bob.transport.abort()
        finally:
            stop.set()
            await asyncio.gather(*tasks)
        # Whatever followed the last resume is still there, and nothing else.
        bob = await open_ws(srv, 2, since=last)
        total = bob.welcome["data"]["last_seq"]
        rest = seqs(await mailbox_events(bob))
        assert rest == list(range(last + 1, total + 1))
        await bob.close()
        for ws in senders:
            await ws.close()
    run(body(), timeout=90)


def test_a_replay_larger_than_the_send_queue_and_across_a_fold(herald_factory):
    """17,000 chats (more than a fold's 16,384) while the recipient is away,
    more arriving as it resumes: every seq once, in order, and the replay is
    paced to a send queue of 50 frames instead of overflowing it (4010)."""
    srv = herald_factory(*FAST, "--retention-events", "100000", "--max-queue-messages", "50")

    async def body():
        bob = await open_ws(srv, 2)
        await bob.close()
        senders = [await open_ws(srv, u) for u in (1, 3)]
        # 20 in flight per sender: their acks stay within the queue of 50.
        async def flood(ws, tag):
            for batch in range(425):
                await send_chats(ws, 2, 20, f"{tag}{batch}")
        await asyncio.gather(flood(senders[0], "x"), flood(senders[1], "y"))

        async def late_ones():
            for batch in range(10):
                await send_chats(senders[0], 2, 20, f"late{batch}")
        late = asyncio.create_task(late_ones())
        bob = await open_ws(srv, 2)  # the offline queue
        got = seqs(await mailbox_events(bob, quiet=3.0))
        await late
        got += seqs(await mailbox_events(bob, quiet=1.0))
        assert len(got) == 17200
        assert got == list(range(1, 17201))
        await bob.close()
        for ws in senders:
            await ws.close()
    run(body(), timeout=180)


def test_a_slow_consumer_closed_4010_resumes_with_nothing_lost(herald_factory):
    srv = herald_factory(*FAST, "--max-queue-messages", "50")
    raw = RawWs(srv.port, srv.token(2), recv_buf=4096)  # never reads

    async def body():
        alice = await open_ws(srv, 1)
        acked = 0
        pad = "z" * 3000
        for round_ in range(40):
            for i in range(50):
                await send(alice, {"type": "message", "to_user_id": 2, "message": pad})
            while acked < (round_ + 1) * 50:
                msg = await recv_json(alice, 10)
                acked += msg["type"] == "ack"
        return alice, acked

    try:
        alice, acked = run(body(), timeout=60)
        assert raw.read_until_close(timeout=10) in (4010, None)
    finally:
        raw.close()

    async def resume():
        bob = await open_ws(srv, 2, since=0)
        got = seqs(await mailbox_events(bob))
        assert got == list(range(1, acked + 1))
        await bob.close()
    run(resume(), timeout=60)


def test_past_the_retention_window_connected_says_resync(herald_factory):
    srv = herald_factory(*FAST, "--retention-events", "5")

    async def body():
        alice = await open_ws(srv, 1)
        bob = await open_ws(srv, 2)
        await bob.close()
        await send_chats(alice, 2, 8, "r")
        bob = await open_ws(srv, 2, since=0)
        assert bob.welcome["data"]["resync"] is True
        assert seqs(await mailbox_events(bob)) == [4, 5, 6, 7, 8]
        await bob.close()
        bob = await open_ws(srv, 2, since=6)  # inside the window
        assert "resync" not in bob.welcome["data"]
        assert seqs(await mailbox_events(bob)) == [7, 8]
        await bob.close()
        for since in ("99", "abc", "-3"):  # not a seq of this mailbox
            bob = await open_ws(srv, 2, since=since)
            assert bob.welcome["data"]["resync"] is True, since
            await assert_none(bob, "chat", wait=0.3)
            await bob.close()
        await alice.close()
    run(body())


def test_the_offline_queue_and_seqs_survive_a_restart(herald_factory, tmp_path):
    data = tmp_path / "kept"
    srv = herald_factory(*FAST, data_dir=data)

    async def before():
        bob = await open_ws(srv, 2)
        await bob.close()
        carol = await open_ws(srv, 3)  # reads everything, then leaves
        alice = await open_ws(srv, 1)
        await send_chats(alice, 2, 2, "p")
        await send_chats(alice, 3, 2, "q")
        assert seqs(await mailbox_events(carol, limit=2)) == [1, 2]
        await carol.close()
        await alice.close()
        await asyncio.sleep(0.3)  # the marks are written behind
    run(before())
    assert srv.stop() == 0
    srv2 = herald_factory(*FAST, data_dir=data)

    async def after():
        bob = await open_ws(srv2, 2)
        assert seqs(await mailbox_events(bob)) == [1, 2]
        carol = await open_ws(srv2, 3)
        assert carol.welcome["data"]["last_seq"] == 2
        await assert_none(carol, "chat", wait=0.5)
        alice = await open_ws(srv2, 1)
        assert await send_chats(alice, 2, 1, "after") == [5]  # alice's 4 went before
        assert seqs(await mailbox_events(bob)) == [3]
        for ws in (alice, bob, carol):
            await ws.close()
    run(after())


API_KEY = "integration-api-key-0123456789abcdef"


def test_offline_chats_and_a_notification_arrive_in_order_once(herald_factory):
    """Issue 11's first case: B offline; A sends 3 chats and follows B; B
    connects without since and gets the 3 chats and the new_follower, in
    order, once; reconnecting with since resumes after them."""
    srv = herald_factory(*FAST)

    async def body():
        bob = await open_ws(srv, 2)
        await bob.close()
        alice = await open_ws(srv, 1)
        await send_chats(alice, 2, 3, "n")
        r = await asyncio.to_thread(srv.post, "/api/v1/users/2/follow", token=srv.token(1))
        assert r.status_code == 204
        bob = await open_ws(srv, 2)
        assert bob.welcome["data"]["last_seq"] == 4
        assert bob.welcome["data"]["unread_notifications"] == 1
        got = await mailbox_events(bob)
        assert [(e["type"], e["seq"]) for e in got] == [("chat", 1), ("chat", 2), ("chat", 3),
                                                       ("notification", 4)]
        note = got[3]
        assert note["notification_type"] == "new_follower"
        assert note["data"]["data"] == {"follower_id": 1} and note["data"]["read"] is False
        # The same notification as the REST list has it.
        listed = (await asyncio.to_thread(srv.get, "/api/v1/notifications", token=srv.token(2))).json()
        assert listed["items"][0] == note["data"]
        await bob.close()
        bob = await open_ws(srv, 2, since=3)
        assert [e["seq"] for e in await mailbox_events(bob)] == [4]
        await bob.close()
        await alice.close()
    run(body())


def test_sigkill_loses_no_acked_chat_and_no_accepted_notification(herald_factory, tmp_path):
    """Chats and publishes at full speed, SIGKILL mid-stream, restart: every
    acked chat and every 202 notification is in the recipient's mailbox, and
    the seqs are 1..n, each once."""
    data = tmp_path / "crash"
    srv = herald_factory(*FAST, "--api-key", API_KEY, "--retention-events", "1000000", data_dir=data)
    acked, published = [], []

    async def traffic():
        bob = await open_ws(srv, 2)
        await bob.close()
        alice = await open_ws(srv, 1)
        stop = asyncio.Event()

        async def chats():
            n = 0
            try:
                while not stop.is_set():
                    for i in range(20):
                        await send(alice, {"type": "message", "to_user_id": 2, "message": f"k{n}-{i}",
                                           "client_msg_id": f"k{n}-{i}"})
                    got = 0
                    while got < 20:
                        msg = await recv_json(alice, 5)
                        if msg["type"] == "ack":
                            acked.append(msg["data"]["client_msg_id"])
                            got += 1
                    n += 1
            except (websockets.ConnectionClosed, asyncio.TimeoutError, OSError):
                pass

        def publish_loop():
            import requests
            k = 0
            while not stop.is_set():
                try:
                    r = requests.post(srv.base + "/api/v1/notifications", timeout=5,
                                      headers={"X-API-Key": API_KEY},
                                      json={"user_ids": [2], "type": "new_like", "title": "t",
                                            "message": f"p{k}", "data": {"k": k}})
                except requests.RequestException:
                    return
                if r.status_code == 202:
                    published.append(f"p{k}")
                k += 1

        tasks = [asyncio.create_task(chats()), asyncio.create_task(asyncio.to_thread(publish_loop))]
        await asyncio.sleep(1.5)
        srv.proc.kill()  # SIGKILL, mid-stream
        srv.proc.wait()
        stop.set()
        await asyncio.gather(*tasks)
    run(traffic(), timeout=60)
    srv.log.close()
    srv.proc = None  # killed on purpose: teardown has no exit code to check
    assert len(acked) > 100 and len(published) > 5

    srv2 = herald_factory(*FAST, "--retention-events", "1000000", data_dir=data)

    async def check():
        bob = await open_ws(srv2, 2, since=0)
        got = await mailbox_events(bob, quiet=1.5)
        assert seqs(got) == list(range(1, len(got) + 1))
        texts = [e["data"]["message"] for e in got]
        stored_chats = {e["data"]["message"] for e in got if e["type"] == "chat"}
        stored_notes = {e["data"]["message"] for e in got if e["type"] == "notification"}
        assert len(texts) == len(set(texts))
        assert set(acked) <= stored_chats
        assert set(published) <= stored_notes
        await bob.close()
    run(check(), timeout=60)
