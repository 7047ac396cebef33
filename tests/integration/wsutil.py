"""WebSocket helpers for the integration tests: a websockets-based client and
a raw-socket client for frames the library refuses to produce (bad UTF-8,
never answering pings, never reading)."""
import asyncio
import base64
import json
import os
import socket
import ssl
import struct
import time

import websockets

TIMEOUT = 5.0


def run(coro, timeout=30):
    """Run one test coroutine with an overall bound."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


def client_ssl(srv):
    """The client TLS context for a TLS server (its certificate trusted), else None."""
    if not getattr(srv, "tls_cert", None):
        return None
    return ssl.create_default_context(cafile=srv.tls_cert)


async def connect(srv, user_id, username=None, token=None, expect_connected=True):
    tok = token if token is not None else srv.token(user_id, username)
    extra = {"ssl": client_ssl(srv)} if client_ssl(srv) else {}
    ws = await asyncio.wait_for(websockets.connect(srv.ws_url(tok), max_size=None, **extra), TIMEOUT)
    if expect_connected:
        first = await recv_json(ws)
        assert first["type"] == "connected", first
        ws.welcome = first
    return ws


async def recv_json(ws, timeout=TIMEOUT):
    raw = await asyncio.wait_for(ws.recv(), timeout)
    assert isinstance(raw, str)
    return json.loads(raw)


async def recv_type(ws, typ, timeout=TIMEOUT, pred=None):
    """Next message of this type (and matching pred), skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {typ} message within {timeout}s")
        msg = await recv_json(ws, left)
        if msg.get("type") == typ and (pred is None or pred(msg)):
            return msg


async def assert_none(ws, typ, wait=0.6, pred=None):
    """No message of this type arrives within wait seconds."""
    deadline = time.monotonic() + wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        try:
            msg = await recv_json(ws, left)
        except asyncio.TimeoutError:
            return
        if msg.get("type") == typ and (pred is None or pred(msg)):
            raise AssertionError(f"unexpected {typ}: {msg}")


async def send(ws, obj):
    await ws.send(json.dumps(obj))


async def close_code(ws, timeout=TIMEOUT):
    """Read until the server closes; return the close code."""
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout)
    except websockets.ConnectionClosed as e:
        return e.code if e.rcvd is None else e.rcvd.code


# ---- raw socket client ----------------------------------------------------

class RawWs:
    """A minimal blocking WebSocket client over a plain socket."""

    def __init__(self, port, token, recv_buf=None):
        self.sock = socket.socket()
        if recv_buf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, recv_buf)
        self.sock.settimeout(TIMEOUT)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        req = (f"GET /api/v1/ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
               f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               f"Sec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(req.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(4096)
            assert chunk, "connection closed during handshake"
            buf += chunk
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send_frame(self, opcode, payload, fin=True):
        mask = os.urandom(4)
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(hdr + mask + masked)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_frame(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return b0 & 0x0F, self._read(n)

    def read_until_close(self, timeout=TIMEOUT, answer_pings=False):
        """Return the close code (None if the socket ended without a close frame)."""
        deadline = time.monotonic() + timeout
        while True:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                op, payload = self.read_frame()
            except EOFError:
                return None
            if op == 0x8:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            if op == 0x9 and answer_pings:
                self.send_frame(0xA, payload)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
