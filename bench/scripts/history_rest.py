#!/usr/bin/env python3
"""Times chat history over HTTP (PROTOCOL.md 6.5) against a running herald
whose data directory holds the database micro_bench's History benchmarks
built (docs/bench/history.md): GET /api/v1/messages/{id} and
/api/v1/conversations on one keep-alive connection, one request at a time,
and prints p50 / p99 / max of the round trip in microseconds (loopback: the
server's time plus the HTTP round trip and this client's own).

    history_rest.py --port P --secret S [--requests 2000]
"""
import argparse
import base64
import hashlib
import hmac
import http.client
import json
import time


def token(secret, user):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    now = int(time.time())
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps({"sub": str(user), "username": f"user{user}", "iat": now, "exp": now + 3600,
                            "type": "access"}).encode())
    sig = b64(hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def timed(conn, path, auth, n):
    us = []
    for _ in range(n):
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": auth})
        r = conn.getresponse()
        body = r.read()
        us.append((time.perf_counter() - start) * 1e6)
        assert r.status == 200, (r.status, body[:200])
    us.sort()
    return us[len(us) // 2], us[len(us) * 99 // 100], us[-1], len(json.loads(body)["items"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--requests", type=int, default=2000)
    a = ap.parse_args()
    conn = http.client.HTTPConnection("127.0.0.1", a.port)
    cases = [("first page of 50, busy conversation (2 with 3; marks read once)", "/api/v1/messages/3", 2),
             ("page of 50, busy conversation (2 with 3)", "/api/v1/messages/3?limit=50&before=9000000", 2),
             ("page of 50, sparse conversation (5 with 4)", "/api/v1/messages/4?limit=50&before=9000000", 5),
             ("conversations, limit 20 (user 1: 1,000 partners)", "/api/v1/conversations?limit=20", 1),
             ("conversations, limit 100", "/api/v1/conversations?limit=100", 1)]
    for name, path, user in cases:
        p50, p99, worst, items = timed(conn, path, f"Bearer {token(a.secret, user)}", a.requests)
        print(f"{name}: {items} items, p50 {p50:.0f} us, p99 {p99:.0f} us, max {worst:.0f} us")


if __name__ == "__main__":
    main()
