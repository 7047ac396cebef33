"""Caps on open connections (docs/CONFIGURATION.md): per client address
and in all, HTTP and WebSocket alike. Beyond a cap a new connection is
answered 503 and closed at once; closing one gives its place back."""
import asyncio
import re
import time

import pytest
import websockets

from httputil import open_socket, read_response
from wsutil import connect, run, send, recv_type

GET = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"


def tcp_connections(srv):
    """herald_tcp_connections as the server counts it (this request included)."""
    text = srv.get("/metrics").text
    return int(float(re.search(r"^herald_tcp_connections (\S+)$", text, re.M).group(1)))


def hold(srv, n, timeout=5):
    """n open keep-alive connections, each proven accepted and counted by a
    request answered 200 (a connection only queued in the kernel counts for
    nothing yet). One answered 503 is retried: a connection closed just
    before (the start-up health check) is released once the server has
    read its end, a moment later."""
    held = []
    deadline = time.monotonic() + timeout
    while len(held) < n:
        s = open_socket(srv.port)
        s.sendall(GET)
        status = read_response(s)[0]
        if status == 200:
            held.append(s)
            continue
        s.close()
        assert status == 503, status
        assert time.monotonic() < deadline, f"only {len(held)} of {n} connections admitted"
        time.sleep(0.05)
    return held


async def connect_admitted(srv, user_id, timeout=5):
    """A WebSocket, retried while refused 503 (see hold)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await connect(srv, user_id)
        except websockets.exceptions.InvalidStatusCode as e:
            assert e.status_code == 503
            assert time.monotonic() < deadline, "never admitted"
            await asyncio.sleep(0.05)


def get_status(srv):
    with open_socket(srv.port) as s:
        s.sendall(GET)
        return read_response(s)


def wait_for_status(srv, status, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        got = get_status(srv)
        if got[0] == status:
            return got
        assert time.monotonic() < deadline, f"still {got[0]}, expected {status}"
        time.sleep(0.05)


def refusals(srv, reason):
    text = srv.get("/metrics").text
    m = re.search(r'^herald_connections_refused_total\{reason="%s"\} (\S+)$' % reason, text, re.M)
    return int(float(m.group(1)))


def test_per_address_cap_refuses_with_503_and_releases_on_close(herald_factory):
    srv = herald_factory("--max-connections-per-address", "3", "--http-idle-timeout", "60")
    held = hold(srv, 3)
    try:
        # Idle connections hold their places: the fourth is refused at once.
        status, headers, body = get_status(srv)
        assert status == 503
        assert headers.get("connection", "").lower() == "close"
        assert b"Too many connections from this address" in body
        held.pop().close()
        status, _, body = wait_for_status(srv, 200)
        assert body == b'{"status":"ok"}'
    finally:
        for s in held:
            s.close()
    wait_for_status(srv, 200)
    assert refusals(srv, "per_address") >= 1
    assert refusals(srv, "total") == 0


def test_websockets_count_and_their_close_releases(herald_factory):
    srv = herald_factory("--max-connections-per-address", "2")

    async def body():
        a = await connect_admitted(srv, 1)
        b = await connect_admitted(srv, 2)
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as refused:
            await websockets.connect(srv.ws_url(srv.token(3)))
        assert refused.value.status_code == 503
        await a.close()
        # The closed WebSocket's place is free again (the server releases it
        # once its socket is gone, a moment after the close handshake).
        c = await connect_admitted(srv, 3)
        await send(c, {"type": "ping"})
        await recv_type(c, "pong")
        await b.close()
        await c.close()
    run(body())


def test_global_cap_refuses_with_503(herald_factory):
    srv = herald_factory("--max-connections", "3", "--max-connections-per-address", "0",
                         "--http-idle-timeout", "60")
    held = hold(srv, 3)
    try:
        status, _, body = get_status(srv)
        assert status == 503
        assert b"connection limit" in body
        held.pop().close()
        wait_for_status(srv, 200)
    finally:
        for s in held:
            s.close()
    wait_for_status(srv, 200)
    assert refusals(srv, "total") >= 1


def test_no_per_address_cap_when_zero(herald_factory):
    srv = herald_factory("--max-connections-per-address", "0", "--http-idle-timeout", "60")
    held = hold(srv, 300)  # over the default of 256
    try:
        assert get_status(srv)[0] == 200
        assert tcp_connections(srv) >= 301  # the held ones and this request
    finally:
        for s in held:
            s.close()
