"""Raw HTTP over a plain socket, for what requests and websockets hide:
handshakes with chosen headers, trickled bytes, idle connections, and
whether (and how) the server ends a connection."""
import socket
import time

TIMEOUT = 5.0


def open_socket(port, timeout=TIMEOUT):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_response(sock):
    """(status, headers with lower-case names, body) of one response; the
    body is read by Content-Length."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        assert chunk, f"connection closed before a full response head: {buf!r}"
        buf += chunk
    head, body = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(4096)
        assert chunk, "connection closed inside the body"
        body += chunk
    return status, headers, body[:length]


def request(port, raw):
    """Send raw request bytes on a new connection; return the response."""
    with open_socket(port) as s:
        s.sendall(raw)
        return read_response(s)


def closed_by_server(sock, within):
    """True when the server ends the connection (EOF or reset) within
    `within` seconds; bytes it sends meanwhile are returned too."""
    deadline = time.monotonic() + within
    received = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False, received
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            return False, received
        except ConnectionResetError:
            return True, received
        if not chunk:
            return True, received
        received += chunk


def ws_upgrade(port, key="dGhlIHNhbXBsZSBub25jZQ==", version="13", extra=""):
    """A WebSocket opening handshake with the given key and version (None
    leaves the header out); returns the response head."""
    lines = [f"GET /api/v1/ws HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
             "Connection: Upgrade"]
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    raw = ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()
    with open_socket(port) as s:
        s.sendall(raw)
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(4096)
            assert chunk, f"connection closed during the handshake: {buf!r}"
            buf += chunk
    head = buf.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers
