"""Notifications (PROTOCOL.md 6.4) against the real binary: the publish API's
auth matrix and validation, a publish to 1,000 users stored (listed by each)
and delivered live to those online, list paging with `unread_only`, the
unread count in REST and in `connected`, marking read, and another user's
notification answering 404."""
import asyncio
import time

import requests
import websockets

from wsutil import connect, recv_type, run

API_KEY = "integration-api-key-0123456789abcdef"
ARGS = ("--api-key", API_KEY)


def publish(srv, body, key=API_KEY, token=None):
    headers = {}
    if key is not None:
        headers["X-API-Key"] = key
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(srv.base + "/api/v1/notifications", json=body, headers=headers, timeout=30)


def known(srv, *uids):
    for uid in uids:
        assert srv.get("/api/v1/users/me", token=srv.token(uid)).status_code == 200


def note(user_ids, **kw):
    body = {"user_ids": user_ids, "type": "new_like", "title": "t", "message": "m",
            "data": {"post_id": 9}, "link": "/posts/9"}
    body.update(kw)
    return body


def test_publish_auth_matrix_and_validation(herald_factory):
    srv = herald_factory(*ARGS)
    known(srv, 1, 2)
    assert publish(srv, note([1]), key=None).status_code == 401
    assert publish(srv, note([1]), key="wrong").status_code == 401
    assert publish(srv, note([1]), key=None, token=srv.token(1)).status_code == 403
    assert publish(srv, note([1]), key=None, token=srv.token(1, role="service")).status_code == 202
    ok = publish(srv, note([1, 2]))
    assert ok.status_code == 202 and len(ok.json()["ids"]) == 2

    for bad in (note([1], type="Bad"), note([1], type="1x"), note([1], type="a" * 33), note([1], type=""),
                note([]), note([1, 1]), note(["1"]), note([0]), note([1], title=""),
                note([1], title="t" * 201), note([1], message="m" * 2001), note([1], data=[1]),
                note([1], data={"k": "v" * 9000}), note([1], link="/" * 3000), note(list(range(1, 10002))),
                note([1, 424242])):
        r = publish(srv, bad)
        assert r.status_code == 422, (str(bad)[:80], r.text)
    assert requests.post(srv.base + "/api/v1/notifications", data="x" * (2 << 20),
                         headers={"X-API-Key": API_KEY}, timeout=10).status_code == 413
    # Nothing of the refused ones was stored.
    assert srv.get("/api/v1/notifications/unread-count", token=srv.token(1)).json() == {"unread_count": 2}


def test_publish_to_a_thousand_users_is_stored_and_delivered(herald_factory):
    srv = herald_factory(*ARGS)
    users = list(range(1000, 2000))
    known(srv, *users)
    online = users[:20]
    weird = "'; DROP TABLE notifications; -- \u2603 \U0001F600 \"q\" \\"

    async def body():
        sockets = [await connect(srv, u) for u in online]
        loop = asyncio.get_running_loop()
        r = await loop.run_in_executor(None, lambda: publish(srv, note(users, title=weird, message=weird,
                                                                        data={"x": weird, "n": [1, 2]})))
        assert r.status_code == 202, r.text
        ids = r.json()["ids"]
        assert len(ids) == 1000 and len(set(ids)) == 1000
        for u, ws in zip(online, sockets):
            m = await recv_type(ws, "notification")
            assert m["seq"] == ws.welcome["data"]["last_seq"] + 1
            assert m["data"]["id"] == ids[users.index(u)]
            assert m["data"]["title"] == weird and m["data"]["data"] == {"x": weird, "n": [1, 2]}
            await ws.close()
        return ids
    ids = run(body(), timeout=60)
    for i, u in enumerate(users):
        items = srv.get("/api/v1/notifications", token=srv.token(u)).json()["items"]
        assert [n["id"] for n in items] == [ids[i]], u
        assert items[0]["message"] == weird and items[0]["link"] == "/posts/9"


def test_list_paging_unread_and_read_marks(herald_factory):
    srv = herald_factory(*ARGS)
    known(srv, 7, 8)
    t7, t8 = srv.token(7), srv.token(8)
    ids = [publish(srv, note([7], title=f"n{i}")).json()["ids"][0] for i in range(25)]
    other = publish(srv, note([8])).json()["ids"][0]

    seen, before = [], None
    while True:
        q = "?limit=10" + (f"&before={before}" if before else "")
        page = srv.get("/api/v1/notifications" + q, token=t7).json()
        seen += [n["id"] for n in page["items"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == ids[::-1]
    first = srv.get("/api/v1/notifications", token=t7).json()
    assert len(first["items"]) == 20 and first["next_before"] == ids[5]

    for i in ids[:5]:
        assert srv.post(f"/api/v1/notifications/{i}/read", token=t7).status_code == 204
    assert srv.post(f"/api/v1/notifications/{ids[0]}/read", token=t7).status_code == 204  # again
    assert srv.post(f"/api/v1/notifications/{other}/read", token=t7).status_code == 404
    assert srv.post("/api/v1/notifications/999999/read", token=t7).status_code == 404
    assert srv.post("/api/v1/notifications/abc/read", token=t7).status_code == 422
    assert srv.get("/api/v1/notifications/unread-count", token=t7).json() == {"unread_count": 20}
    assert srv.get("/api/v1/notifications/unread-count", token=t8).json() == {"unread_count": 1}
    unread = srv.get("/api/v1/notifications?unread_only=true&limit=100", token=t7).json()
    assert [n["id"] for n in unread["items"]] == ids[5:][::-1] and unread["next_before"] is None
    assert all(not n["read"] for n in unread["items"])
    everything = srv.get("/api/v1/notifications?limit=100", token=t7).json()["items"]
    assert [n["read"] for n in everything][-5:] == [True] * 5
    assert srv.get("/api/v1/notifications?unread_only=maybe", token=t7).status_code == 422

    async def welcome_count(uid):
        ws = await connect(srv, uid)
        n = ws.welcome["data"]["unread_notifications"]
        await ws.close()
        return n
    assert run(welcome_count(7)) == 20
    assert srv.post("/api/v1/notifications/read-all", token=t7).status_code == 204
    assert srv.get("/api/v1/notifications/unread-count", token=t7).json() == {"unread_count": 0}
    assert run(welcome_count(7)) == 0
    assert run(welcome_count(8)) == 1  # another user's read-all touched nothing of 8's


def test_unread_count_survives_a_restart(herald_factory, tmp_path):
    data = tmp_path / "keep"
    srv = herald_factory(*ARGS, data_dir=data)
    known(srv, 5)
    for _ in range(3):
        assert publish(srv, note([5])).status_code == 202
    first = srv.get("/api/v1/notifications", token=srv.token(5)).json()["items"][0]["id"]
    assert srv.post(f"/api/v1/notifications/{first}/read", token=srv.token(5)).status_code == 204
    assert srv.stop() == 0
    again = herald_factory(*ARGS, data_dir=data)

    async def body():
        ws = await connect(again, 5)
        assert ws.welcome["data"]["unread_notifications"] == 2
        await ws.close()
    run(body())



def test_every_notification_once_while_the_fold_indexes_them(herald_factory, tmp_path):
    """Publishes to 5,000 users are one stored batch each; the server's fold
    thread indexes them per user in the background (at 16,384 waiting or a
    second old). Reads while it works and after, and after a restart, see
    each notification once: the list, the unread count, read marks and a
    `since` replay."""
    data = tmp_path / "fold"
    srv = herald_factory(*ARGS, "--workers", "2", data_dir=data)
    users = list(range(1, 5001))
    with requests.Session() as session:  # each made known (the publish API refuses unknown ids)
        for uid in users:
            r = session.get(srv.base + "/api/v1/users/me", timeout=10,
                            headers={"Authorization": f"Bearer {srv.token(uid)}"})
            assert r.status_code == 200
    calls = []  # (recipients, ids) per publish, in order
    for i in range(4):  # 20,000 notifications: more than a fold's worth
        r = publish(srv, note(users, title=f"wide {i}"))
        assert r.status_code == 202, r.text
        calls.append((users, r.json()["ids"]))
        small = [1, 5000]
        calls.append((small, publish(srv, note(small, title=f"small {i}")).json()["ids"]))

    def ids_of(uid):
        return [ids[recipients.index(uid)] for recipients, ids in calls if uid in recipients]

    def expect(server, uid, read=frozenset()):
        want = ids_of(uid)
        items = server.get("/api/v1/notifications?limit=100", token=server.token(uid)).json()["items"]
        assert [n["id"] for n in items] == want[::-1], uid
        assert [n["read"] for n in items] == [n["id"] in read for n in items], uid
        count = server.get("/api/v1/notifications/unread-count", token=server.token(uid)).json()
        assert count == {"unread_count": len(want) - len(read)}, uid

    for _ in range(6):  # while the fold thread works through them, and after
        for uid in (1, 2, 5000):
            expect(srv, uid)
        time.sleep(0.5)
    mine = ids_of(1)
    assert srv.post(f"/api/v1/notifications/{mine[0]}/read", token=srv.token(1)).status_code == 204
    assert srv.post(f"/api/v1/notifications/{mine[-1]}/read", token=srv.token(1)).status_code == 204
    assert srv.post(f"/api/v1/notifications/{mine[0]}/read", token=srv.token(2)).status_code == 404
    read = frozenset({mine[0], mine[-1]})
    expect(srv, 1, read)

    async def replay(server, since):
        query = f"since={since}"
        ws = await asyncio.wait_for(
            websockets.connect(server.ws_url(server.token(1), query), max_size=None), 5)
        assert (await recv_type(ws, "connected"))["data"]["last_seq"] == len(mine)
        got = []
        while len(got) < len(mine) - since:
            m = await recv_type(ws, "notification")
            got.append((m["seq"], m["data"]["id"]))
        await ws.close()
        return got
    got = run(replay(srv, 0), timeout=30)
    assert got == list(zip(range(1, len(mine) + 1), mine))

    assert srv.stop() == 0
    again = herald_factory(*ARGS, data_dir=data)  # opens with everything folded
    expect(again, 1, read)
    expect(again, 5000)
    assert run(replay(again, 3), timeout=30) == list(zip(range(4, len(mine) + 1), mine[3:]))
