#!/usr/bin/env python3
"""Times the notifications' read side over HTTP (PROTOCOL.md 6.4) against a
running herald whose users already hold notifications (for instance after
`herald-loadgen --scenario publish`, whose recipients are users 1000 and
up): GET /api/v1/notifications (a page of 20, and the unread-only page),
GET /api/v1/notifications/unread-count, and POST .../{id}/read, each for
users picked at random, on one keep-alive connection, one request at a
time. Prints p50 / p99 / max of the round trip in microseconds (loopback:
the server's time plus the HTTP round trip and this client's own).

    notifications_rest.py --port P --secret S [--users 1000:11000] [--requests 2000]
"""
import argparse
import http.client
import json
import random
import time

from history_rest import token


def timed(conn, method, path_of, auth_of, users, n, check):
    us = []
    for i in range(n):
        user = users[i % len(users)]
        start = time.perf_counter()
        conn.request(method, path_of(user), headers={"Authorization": auth_of(user)})
        r = conn.getresponse()
        body = r.read()
        us.append((time.perf_counter() - start) * 1e6)
        check(r.status, body)
    us.sort()
    return us[len(us) // 2], us[len(us) * 99 // 100], us[-1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--users", default="1000:11000", help="first:end of the users to read as")
    ap.add_argument("--requests", type=int, default=2000)
    a = ap.parse_args()
    first, end = (int(x) for x in a.users.split(":"))
    rng = random.Random(7)
    users = [rng.randrange(first, end) for _ in range(a.requests)]
    tokens = {u: "Bearer " + token(a.secret, u) for u in set(users)}
    auth = tokens.__getitem__
    conn = http.client.HTTPConnection("127.0.0.1", a.port)

    def ok(status, body):
        assert status == 200, (status, body[:200])
    firsts = {}

    def page_ok(status, body):
        ok(status, body)
        items = json.loads(body)["items"]
        assert items, "a user with no notifications: pick --users among the recipients"
    for name, path in (("list, page of 20", "/api/v1/notifications?limit=20"),
                       ("list, unread only", "/api/v1/notifications?limit=20&unread_only=true"),
                       ("unread count", "/api/v1/notifications/unread-count")):
        check = page_ok if "list" in name else ok
        p50, p99, mx = timed(conn, "GET", lambda u, p=path: p, auth, users, a.requests, check)
        print(f"{name:22s} p50 {p50:8.0f} us  p99 {p99:8.0f} us  max {mx:8.0f} us  ({a.requests} requests)")
    # Mark one read: each user's newest, once (a repeat answers 204 too).
    for u in set(users):
        conn.request("GET", "/api/v1/notifications?limit=1", headers={"Authorization": auth(u)})
        firsts[u] = json.loads(conn.getresponse().read())["items"][0]["id"]
    distinct = sorted(set(users))

    def read_ok(status, body):
        assert status == 204, (status, body[:200])
    p50, p99, mx = timed(conn, "POST", lambda u: f"/api/v1/notifications/{firsts[u]}/read", auth, distinct,
                         len(distinct), read_ok)
    print(f"{'mark one read':22s} p50 {p50:8.0f} us  p99 {p99:8.0f} us  max {mx:8.0f} us  ({len(distinct)} requests)")


if __name__ == "__main__":
    main()
