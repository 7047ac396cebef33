"""GET /users/{id} and /users/me (PROTOCOL.md 6.2) for users known only from
a token (PROTOCOL.md 1): a REST read sees every user the server has admitted,
even while the row is still being written behind."""
import asyncio
import re

import requests

from wsutil import connect, run

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def test_new_user_is_readable_as_soon_as_the_socket_opens(herald):
    reader = herald.token(1)
    ids = list(range(5001, 5041))

    async def body():
        loop = asyncio.get_running_loop()
        for uid in ids:
            ws = await connect(herald, uid, username=f"fresh_{uid}")
            # Right after `connected`, before any other round trip.
            got = await loop.run_in_executor(None, lambda u=uid: herald.get(f"/api/v1/users/{u}", token=reader))
            assert got.status_code == 200, (uid, got.text)
            j = got.json()
            assert j["id"] == uid and j["username"] == f"fresh_{uid}"
            assert j["followers_count"] == 0 and j["following_count"] == 0
            assert ISO.match(j["created_at"]), j
            # Closed at once: a socket left unread fills with the others'
            # user_status and its close handshake then waits out the client's timeout.
            await ws.close()
    run(body(), timeout=60)


def test_new_user_reads_themselves_from_users_me(herald):
    async def body():
        loop = asyncio.get_running_loop()
        for uid in range(6001, 6021):
            tok = herald.token(uid, f"me_{uid}")
            ws = await connect(herald, uid, token=tok)
            me = await loop.run_in_executor(None, lambda t=tok: herald.get("/api/v1/users/me", token=t))
            assert me.status_code == 200, me.text
            assert me.json()["id"] == uid and me.json()["username"] == f"me_{uid}"
            await ws.close()
    run(body(), timeout=60)


def test_created_at_is_kept_once_the_row_is_stored(herald):
    reader = herald.token(1)

    async def body():
        ws = await connect(herald, 7001, username="stable")
        loop = asyncio.get_running_loop()
        first = await loop.run_in_executor(None, lambda: herald.get("/api/v1/users/7001", token=reader))
        assert first.status_code == 200, first.text
        await asyncio.sleep(0.3)  # the row has been written by now
        later = await loop.run_in_executor(None, lambda: herald.get("/api/v1/users/7001", token=reader))
        assert later.json() == first.json()
        await ws.close()
    run(body())
    assert herald.get("/api/v1/users/7999", token=reader).status_code == 404
