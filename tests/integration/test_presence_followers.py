"""Presence audience `followers` (PROTOCOL.md 5) and the reserved
`presence:<id>` prefix (PROTOCOL.md 4, issue 10): a user's status reaches
their online followers and nobody else, a follow takes effect at once, and
subscribing to another user's presence needs the right to see it."""
import asyncio

from wsutil import assert_none, connect, recv_json, recv_type, run, send


def follow(srv, follower, followee, on=True):
    import requests
    method = requests.post if on else requests.delete
    r = method(f"{srv.base}/api/v1/users/{followee}/follow", timeout=5,
               headers={"Authorization": f"Bearer {srv.token(follower)}"})
    assert r.status_code == 204, r.text


async def subscribe(ws, context):
    await send(ws, {"type": "subscribe", "context": context})
    while True:
        msg = await recv_json(ws)
        if msg["type"] in ("subscribed", "error"):
            return msg


def about(user, status):
    return lambda m: m["data"]["user_id"] == user and m["data"]["status"] == status


def test_status_reaches_followers_only(herald_factory):
    srv = herald_factory("--presence-audience", "followers")

    async def body():
        fan = await connect(srv, 2)
        stranger = await connect(srv, 3)
        idol = await connect(srv, 1)  # known now, so it can be followed
        await idol.close()
        await asyncio.to_thread(follow, srv, 2, 1)
        idol = await connect(srv, 1)
        await recv_type(fan, "user_status", pred=about(1, "online"))
        await assert_none(stranger, "user_status", wait=0.5)
        await send(idol, {"type": "presence", "status": "away"})
        msg = await recv_type(fan, "presence")
        assert msg["data"]["status"] == "away"
        await assert_none(stranger, "presence", wait=0.5)
        # The idol is not told about the fan (it does not follow them back).
        await fan.close()
        await assert_none(idol, "user_status", wait=0.5)
        # An unfollow takes the audience away at once.
        fan = await connect(srv, 2)
        await asyncio.to_thread(follow, srv, 2, 1, False)
        await idol.close()
        await assert_none(fan, "user_status", wait=0.6)
        await fan.close()
        await stranger.close()
    run(body())


def test_presence_subscription_needs_the_right_to_see_it(herald_factory):
    srv = herald_factory("--presence-audience", "followers")

    async def body():
        a = await connect(srv, 1)
        b = await connect(srv, 2)
        refused = await subscribe(b, "presence:1")
        assert refused["type"] == "error" and refused["error_code"] == "FORBIDDEN"
        bad = await subscribe(b, "presence:abc")
        assert bad["error_code"] == "INVALID_MESSAGE"
        assert (await subscribe(b, "presence:2"))["type"] == "subscribed"  # one's own
        # The refused subscription carries nothing: a status change of 1
        # does not reach 2.
        await send(a, {"type": "presence", "status": "busy"})
        await assert_none(b, "presence", wait=0.5)
        await asyncio.to_thread(follow, srv, 2, 1)
        assert (await subscribe(b, "presence:1"))["type"] == "subscribed"
        await a.close()
        await b.close()
    run(body())


def test_with_audience_all_anyone_may_subscribe(herald_factory):
    srv = herald_factory()

    async def body():
        b = await connect(srv, 2)
        assert (await subscribe(b, "presence:1"))["type"] == "subscribed"
        await b.close()
    run(body())
