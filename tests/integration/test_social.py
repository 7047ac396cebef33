"""Social actions (PROTOCOL.md 6.3) and the notifications they raise, live
over real WebSockets against the real binary and SQLite file: each action's
seed-shaped `notification` with a `seq` one above the previous; no
notification for self-actions or repeats; the mention rules; paged lists;
text with SQL metacharacters and unicode stored byte for byte."""
import asyncio

import requests

from wsutil import assert_none, connect, recv_type, run

ARGS = ("--register-max-attempts", "100", "--rest-burst", "200")
ISO_KEYS = {"id", "type", "title", "message", "data", "link", "read", "created_at"}


def register(srv, name):
    r = requests.post(srv.base + "/api/v1/auth/register",
                      json={"username": name, "password": "password-123"}, timeout=10)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def delete(srv, path, token):
    return requests.delete(srv.base + path, headers={"Authorization": f"Bearer {token}"}, timeout=5)


async def call(fn, *args, **kw):
    return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kw))


def check_shape(msg, typ):
    assert msg["type"] == "notification" and msg["notification_type"] == typ, msg
    assert set(msg["data"]) == ISO_KEYS, msg
    assert msg["data"]["type"] == typ and msg["data"]["read"] is False
    assert isinstance(msg["seq"], int) and isinstance(msg["timestamp"], str)
    return msg


def test_each_action_notifies_live_with_the_seed_shape(herald_factory):
    srv = herald_factory(*ARGS)
    alice, bob = register(srv, "alice_s"), register(srv, "bob_s")
    ta, tb = srv.token(alice, "alice_s"), srv.token(bob, "bob_s")

    async def body():
        wa = await connect(srv, alice, token=ta)
        wb = await connect(srv, bob, token=tb)
        seq = wb.welcome["data"]["last_seq"]

        async def next_for_bob(typ):
            nonlocal seq
            msg = check_shape(await recv_type(wb, "notification"), typ)
            assert msg["seq"] == seq + 1, (msg, seq)
            seq = msg["seq"]
            return msg

        r = await call(srv.post, f"/api/v1/users/{bob}/follow", token=ta)
        assert r.status_code == 204, r.text
        m = await next_for_bob("new_follower")
        assert m["data"]["data"] == {"follower_id": alice}
        assert m["data"]["link"] == f"/users/{alice}" and m["data"]["title"] == "New follower"
        assert "alice_s" in m["data"]["message"]

        # Following again, and unfollow then follow: no second notification.
        assert (await call(srv.post, f"/api/v1/users/{bob}/follow", token=ta)).status_code == 204
        assert (await call(delete, srv, f"/api/v1/users/{bob}/follow", ta)).status_code == 204
        assert (await call(srv.post, f"/api/v1/users/{bob}/follow", token=ta)).status_code == 204
        await assert_none(wb, "notification")

        post = (await call(srv.post, "/api/v1/posts", token=tb, json={"content": "hello"})).json()
        pid = post["id"]
        assert (await call(srv.post, f"/api/v1/posts/{pid}/like", token=ta)).status_code == 204
        m = await next_for_bob("new_like")
        assert m["data"]["data"] == {"post_id": pid, "liker_id": alice}
        assert m["data"]["link"] == f"/posts/{pid}"
        # Like twice, unlike and like again: once per (post, user).
        assert (await call(srv.post, f"/api/v1/posts/{pid}/like", token=ta)).status_code == 204
        assert (await call(delete, srv, f"/api/v1/posts/{pid}/like", ta)).status_code == 204
        assert (await call(srv.post, f"/api/v1/posts/{pid}/like", token=ta)).status_code == 204
        await assert_none(wb, "notification")

        c1 = await call(srv.post, f"/api/v1/posts/{pid}/comments", token=ta, json={"content": "nice"})
        assert c1.status_code == 201, c1.text
        cid = c1.json()["id"]
        m = await next_for_bob("new_comment")
        assert m["data"]["data"] == {"post_id": pid, "comment_id": cid, "commenter_id": alice}

        # Bob answers Alice's comment: comment_reply to Alice, nothing to Bob (his own post).
        reply = await call(srv.post, f"/api/v1/posts/{pid}/comments", token=tb,
                           json={"content": "thanks", "parent_id": cid})
        assert reply.status_code == 201 and reply.json()["parent_id"] == cid
        m = check_shape(await recv_type(wa, "notification"), "comment_reply")
        assert m["data"]["data"] == {"post_id": pid, "comment_id": reply.json()["id"],
                                     "parent_id": cid, "replier_id": bob}
        await assert_none(wb, "notification")

        # Self-actions notify nobody.
        assert (await call(srv.post, f"/api/v1/posts/{pid}/like", token=tb)).status_code == 204
        await call(srv.post, "/api/v1/posts", token=tb, json={"content": "me @BOB_S"})
        await assert_none(wb, "notification")
        await wa.close()
        await wb.close()
    run(body(), timeout=60)


def test_mention_rules(herald_factory):
    srv = herald_factory(*ARGS)
    author, carol, dave = register(srv, "author_m"), register(srv, "Carol_M"), register(srv, "dave_m")
    ta, tc, td = (srv.token(author, "author_m"), srv.token(carol, "Carol_M"), srv.token(dave, "dave_m"))

    async def body():
        wa = await connect(srv, author, token=ta)
        wc = await connect(srv, carol, token=tc)
        # Case-insensitive, repeated names once, unknown names and e-mail addresses ignored.
        text = "hi @carol_m and @CAROL_M, @nobody_here, mail x@dave_m.com"
        post = (await call(srv.post, "/api/v1/posts", token=ta, json={"content": text})).json()
        m = check_shape(await recv_type(wc, "notification"), "mention")
        assert m["data"]["data"] == {"post_id": post["id"], "mentioner_id": author}
        await assert_none(wc, "notification")

        # A comment mentioning the post's author: new_comment only; Carol (mentioned) gets mention.
        r = await call(srv.post, f"/api/v1/posts/{post['id']}/comments", token=td,
                       json={"content": "@author_m @carol_m look"})
        assert r.status_code == 201
        m = check_shape(await recv_type(wa, "notification"), "new_comment")
        await assert_none(wa, "notification")
        m = check_shape(await recv_type(wc, "notification"), "mention")
        assert m["data"]["data"] == {"post_id": post["id"], "comment_id": r.json()["id"], "mentioner_id": dave}
        await wa.close()
        await wc.close()
    run(body(), timeout=60)


def test_lists_page_and_bad_input(herald_factory):
    srv = herald_factory(*ARGS)
    star = 100
    ts = srv.token(star)
    assert srv.get("/api/v1/users/me", token=ts).status_code == 200
    for fan in range(101, 126):
        t = srv.token(fan)
        assert srv.post(f"/api/v1/users/{star}/follow", token=t).status_code == 204
    seen, before = [], None
    while True:
        q = "?limit=10" + (f"&before={before}" if before else "")
        page = srv.get(f"/api/v1/users/{star}/followers{q}", token=ts).json()
        seen += [i["id"] for i in page["items"]]
        before = page["next_before"]
        if before is None:
            break
    assert seen == list(range(125, 100, -1))
    assert srv.get(f"/api/v1/users/101/following", token=ts).json()["items"][0]["id"] == star
    assert srv.get(f"/api/v1/users/{star}", token=ts).json()["followers_count"] == 25

    weird = "'; DROP TABLE posts; -- \" \\ %_ \u2603 \U0001F600 \u0000 e\u0301"
    p = srv.post("/api/v1/posts", token=ts, json={"content": weird})
    assert p.status_code == 201 and p.json()["content"] == weird
    pid = p.json()["id"]
    assert srv.get(f"/api/v1/posts/{pid}", token=ts).json()["content"] == weird
    for i in range(5):
        assert srv.post(f"/api/v1/posts/{pid}/comments", token=ts, json={"content": weird + str(i)}).status_code == 201
    page = srv.get(f"/api/v1/posts/{pid}/comments?limit=3", token=ts).json()
    assert [c["content"] for c in page["items"]] == [weird + "4", weird + "3", weird + "2"]
    rest = srv.get(f"/api/v1/posts/{pid}/comments?before={page['next_before']}", token=ts).json()
    assert len(rest["items"]) == 2 and rest["next_before"] is None

    assert srv.post("/api/v1/posts", token=ts, json={"content": ""}).status_code == 422
    assert srv.post("/api/v1/posts", token=ts, json={"content": "x" * 10001}).status_code == 422
    assert srv.post("/api/v1/posts", token=ts, json={"content": 5}).status_code == 422
    assert srv.post("/api/v1/posts", token=ts, data="x" * (2 << 20)).status_code == 413
    assert srv.get("/api/v1/posts/abc", token=ts).status_code == 422
    assert srv.get("/api/v1/posts/999999", token=ts).status_code == 404
    assert srv.post("/api/v1/posts/999999/like", token=ts).status_code == 404
    assert srv.post("/api/v1/posts/999999/comments", token=ts, json={"content": "x"}).status_code == 404
    assert srv.post(f"/api/v1/posts/{pid}/comments", token=ts,
                    json={"content": "x", "parent_id": 999999}).status_code == 404
    assert srv.post(f"/api/v1/posts/{pid}/comments", token=ts,
                    json={"content": "x", "parent_id": "1"}).status_code == 422
    assert srv.post("/api/v1/users/999999/follow", token=ts).status_code == 404
    assert srv.post(f"/api/v1/users/{star}/follow", token=ts).status_code == 422
    assert srv.get(f"/api/v1/users/{star}/followers?limit=0", token=ts).status_code == 422
    assert srv.get(f"/api/v1/users/{star}/followers?limit=101", token=ts).status_code == 422
    assert srv.get(f"/api/v1/users/{star}/followers?before=x", token=ts).status_code == 422
    assert srv.get(f"/api/v1/users/{star}/followers").status_code == 401
