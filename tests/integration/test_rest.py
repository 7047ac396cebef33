"""HTTP API: online status (6.1), accounts (6.2), operations (6.6), body limit."""
import re
import time

import pytest
import requests

from wsutil import connect, run

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def assert_401(r):
    assert r.status_code == 401, r.text
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    assert isinstance(r.json()["detail"], str)


def test_health_ready_metrics(herald):
    r = herald.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert herald.get("/ready").status_code == 200

    async def body():
        ws = await connect(herald, 1)
        text = herald.get("/metrics").text
        assert re.search(r"^herald_connections(\{[^}]*\})? 1(\.0+)?$", text, re.M), text
        for name in ("herald_users_online", "herald_messages_in_total", "herald_closes_total",
                     "herald_send_queue_drops_total", "herald_storage_commit_seconds"):
            assert name in text, name
        await ws.close()
    run(body())


def test_online_endpoints(herald):
    tok = herald.token(9)
    for path in ("/api/v1/online", "/api/v1/online/count", "/api/v1/status/1"):
        assert_401(herald.get(path))
        assert_401(herald.get(path, token="garbage"))

    async def body():
        a1 = await connect(herald, 1)
        a2 = await connect(herald, 1)
        b = await connect(herald, 2)
        assert herald.get("/api/v1/online/count", token=tok).json() == {"online_count": 2}
        r = herald.get("/api/v1/online?limit=100&offset=0", token=tok)
        assert r.status_code == 200
        j = r.json()
        assert j["online_count"] == 2
        assert [u["user_id"] for u in j["users"]] == [1, 2]
        u1 = j["users"][0]
        assert set(u1) == {"user_id", "online", "last_seen", "connections_count", "status"}
        assert u1["online"] is True and u1["connections_count"] == 2 and u1["status"] == "online"
        assert ISO.match(u1["last_seen"])
        r = herald.get("/api/v1/online?limit=1&offset=1", token=tok).json()
        assert [u["user_id"] for u in r["users"]] == [2]
        s = herald.get("/api/v1/status/2", token=tok).json()
        assert s == {"user_id": 2, "online": True, "last_seen": s["last_seen"],
                     "connections_count": 1, "status": "online"}
        for w in (a1, a2, b):
            await w.close()
    run(body())
    for q in ("limit=0", "limit=1001", "limit=abc", "offset=-1"):
        assert herald.get("/api/v1/online?" + q, token=tok).status_code == 422, q
    assert herald.get("/api/v1/status/abc", token=tok).status_code == 422
    r = herald.get("/api/v1/status/424242", token=tok)
    assert r.status_code == 404 and "detail" in r.json()


def register(srv, username, password="password123", **kw):
    return srv.post("/api/v1/auth/register", json={"username": username, "password": password, **kw})


def test_register_and_login(herald):
    r = register(herald, "alice", email="a@example.com")
    assert r.status_code == 201, r.text
    j = r.json()
    assert set(j) >= {"id", "username", "created_at"}
    assert j["username"] == "alice" and isinstance(j["id"], int) and ISO.match(j["created_at"])
    assert register(herald, "ALICE").status_code == 409
    assert register(herald, "bob", password="short").status_code == 422
    assert register(herald, "b!").status_code == 422
    assert herald.post("/api/v1/auth/register", data="{nope").status_code in (400, 422)

    r = herald.post("/api/v1/auth/login", json={"username": "alice", "password": "password123"})
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["token_type"] == "bearer" and t["expires_in"] == 3600
    assert t["access_token"] and t["refresh_token"]
    r = herald.post("/api/v1/auth/login", data={"username": "alice", "password": "password123"})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"

    me = herald.get("/api/v1/users/me", token=t["access_token"])
    assert me.status_code == 200
    mj = me.json()
    assert mj["id"] == j["id"] and mj["username"] == "alice"
    assert mj["followers_count"] == 0 and mj["following_count"] == 0
    assert herald.get(f"/api/v1/users/{j['id']}", token=t["access_token"]).json()["username"] == "alice"
    assert_401(herald.get("/api/v1/users/me"))
    # the refresh token never authenticates a request or socket
    assert_401(herald.get("/api/v1/users/me", token=t["refresh_token"]))

    wrong = herald.post("/api/v1/auth/login", json={"username": "alice", "password": "wrongpass1"})
    nouser = herald.post("/api/v1/auth/login", json={"username": "nobody", "password": "wrongpass1"})
    assert wrong.status_code == 401 and nouser.status_code == 401
    assert wrong.json()["detail"] == nouser.json()["detail"]

    async def body():
        ws = await connect(herald, j["id"], token=t["access_token"])
        assert ws.welcome["data"]["message"] == "Welcome, alice!"
        await ws.close()
    run(body())


def test_refresh_rotation(herald):
    assert register(herald, "carol").status_code == 201
    t = herald.post("/api/v1/auth/login", json={"username": "carol", "password": "password123"}).json()
    r = herald.post("/api/v1/auth/refresh", json={"refresh_token": t["refresh_token"]})
    assert r.status_code == 200, r.text
    t2 = r.json()
    assert t2["refresh_token"] != t["refresh_token"] and t2["access_token"]
    assert herald.get("/api/v1/users/me", token=t2["access_token"]).status_code == 200
    again = herald.post("/api/v1/auth/refresh", json={"refresh_token": t["refresh_token"]})
    assert again.status_code == 401
    # an access token is not a refresh token
    assert herald.post("/api/v1/auth/refresh", json={"refresh_token": t2["access_token"]}).status_code == 401


def test_login_throttling(herald):
    assert register(herald, "dave").status_code == 201
    codes = [herald.post("/api/v1/auth/login", json={"username": "dave", "password": "badbadbad"}).status_code
             for _ in range(8)]
    assert codes[0] == 401
    assert 429 in codes, codes
    # throttled even with the right password now
    assert herald.post("/api/v1/auth/login",
                       json={"username": "dave", "password": "password123"}).status_code == 429


def test_body_over_limit_413(herald):
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    r = requests.post(herald.base + "/api/v1/auth/register", data=big,
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert r.status_code == 413
    # server still fine
    assert herald.get("/health").status_code == 200
