"""TLS served by Herald itself (--tls-cert / --tls-key): https and wss, the
protocol policy (TLS 1.2+, ECDHE AEAD suites for 1.2, ALPN http/1.1), plain
HTTP on the TLS port, the handshake deadline, and SIGHUP reloading the
certificate without dropping connections.

Certificates are made at test time with Debian's openssl command:
self-signed P-256, valid for 127.0.0.1, each with its own subject and serial
so a test can tell which one a handshake was given."""
import asyncio
import os
import signal
import socket
import ssl
import subprocess
import time

import pytest
import requests
import websockets

from httputil import closed_by_server, open_socket, read_response
from wsutil import close_code, connect, recv_type, run, send


def make_cert(directory, name, serial):
    """(cert path, key path) of a new self-signed certificate, CN=name."""
    cert = os.path.join(directory, f"{name}.crt")
    key = os.path.join(directory, f"{name}.key")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}", "-set_serial", str(serial),
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True)
    return cert, key


@pytest.fixture
def cert_dir(tmp_path):
    d = tmp_path / "certs"
    d.mkdir()
    return str(d)


@pytest.fixture
def tls_server(herald_factory, cert_dir):
    cert, key = make_cert(cert_dir, "herald-one", 0x1001)
    return herald_factory("--tls-cert", cert, "--tls-key", key)


def handshake(port, context, server_hostname="127.0.0.1"):
    """A finished TLS connection (the caller closes it)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        return context.wrap_socket(raw, server_hostname=server_hostname)
    except BaseException:
        raw.close()
        raise


def peer_identity(port, cafile):
    """(CN, serial) of the certificate a new handshake is given."""
    ctx = ssl.create_default_context(cafile=cafile)
    with handshake(port, ctx) as s:
        cert = s.getpeercert()
    cn = dict(pair[0] for pair in cert["subject"])["commonName"]
    return cn, int(cert["serialNumber"], 16)


def old_tls_context(version):
    """A client that offers only `version` (and older), with OpenSSL's own
    floor lifted, so the refusal seen comes from the server."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.maximum_version = version
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    return ctx


def test_https_health_and_rest(tls_server):
    r = requests.get(tls_server.base + "/health", verify=tls_server.tls_cert, timeout=5)
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    tok = tls_server.token(1, "alice")
    r = tls_server.get("/api/v1/online/count", token=tok)
    assert r.status_code == 200 and r.json() == {"online_count": 0}
    # Keep-alive over TLS: several requests on one session.
    with requests.Session() as session:
        for _ in range(3):
            r = session.get(tls_server.base + "/health", verify=tls_server.tls_cert, timeout=5)
            assert r.status_code == 200
    # An unknown path still gets its error answer through TLS.
    assert tls_server.get("/nope").status_code == 404


def test_handshake_policy_alpn_version_no_compression(tls_server):
    ctx = ssl.create_default_context(cafile=tls_server.tls_cert)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with handshake(tls_server.port, ctx) as s:
        assert s.selected_alpn_protocol() == "http/1.1"
        assert s.version() == "TLSv1.3"
        assert s.compression() is None
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, _, body = read_response(s)
        assert status == 200 and b"ok" in body

    # A client offering ALPN without http/1.1 is refused (RFC 7301).
    ctx = ssl.create_default_context(cafile=tls_server.tls_cert)
    ctx.set_alpn_protocols(["h2"])
    with pytest.raises(ssl.SSLError, match="(?i)no.application.protocol"):
        handshake(tls_server.port, ctx).close()

    # TLS 1.2 with an ECDHE AEAD suite works ...
    ctx = ssl.create_default_context(cafile=tls_server.tls_cert)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    with handshake(tls_server.port, ctx) as s:
        assert s.version() == "TLSv1.2"
        assert s.cipher()[0] == "ECDHE-ECDSA-AES128-GCM-SHA256"
    # ... a CBC suite does not (not in the intermediate list).
    ctx = ssl.create_default_context(cafile=tls_server.tls_cert)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA")
    with pytest.raises(ssl.SSLError, match="(?i)handshake.failure"):
        handshake(tls_server.port, ctx).close()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # ssl.TLSVersion.TLSv1*: that is the point
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1])
def test_tls_1_1_and_older_refused(tls_server, version):
    with pytest.raises(ssl.SSLError) as refused:
        handshake(tls_server.port, old_tls_context(version)).close()
    # The server's protocol_version alert ("tlsv1 alert protocol version"),
    # not a refusal by our own client ("no protocols available").
    assert "alert protocol version" in str(refused.value), refused.value
    assert tls_server.get("/health").status_code == 200


def test_wss_connected_ping_and_chat(tls_server):
    async def body():
        a = await connect(tls_server, 1, "alice")
        b = await connect(tls_server, 2, "bob")
        assert a.welcome["data"]["user_id"] == 1
        await send(a, {"type": "ping", "timestamp": "2025-01-01T00:00:00Z"})
        await recv_type(a, "pong")
        # Larger than the connection's TLS read buffer (4 KiB): the message
        # arrives over several reads and is reassembled.
        text = "x" * 4096
        await send(a, {"type": "message", "to_user_id": 2, "message": text, "client_msg_id": "t1"})
        ack = await recv_type(a, "ack")
        chat = await recv_type(b, "chat")
        assert chat["data"]["message"] == text
        assert chat["data"]["id"] == ack["data"]["id"]
        # A burst (within the rate limit's burst of 40): gathered writes through
        # the SSL stream, in order.
        for i in range(30):
            await send(b, {"type": "message", "to_user_id": 1, "message": f"m{i}"})
        got = [(await recv_type(a, "chat"))["data"]["message"] for _ in range(30)]
        assert got == [f"m{i}" for i in range(30)]
        await a.close()
        await b.close()
        assert a.close_code == 1000
    run(body())


def test_plain_http_to_tls_port_is_answered_400(tls_server):
    with open_socket(tls_server.port) as s:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers, body = read_response(s)
        assert status == 400
        assert b"https://" in body
        assert headers.get("connection") == "close"
        closed, _ = closed_by_server(s, 3)
        assert closed
    r = requests.get(f"http://127.0.0.1:{tls_server.port}/health", timeout=5)
    assert r.status_code == 400
    # Bytes that are neither TLS nor HTTP: closed, nothing else.
    with open_socket(tls_server.port) as s:
        s.sendall(b"\x00\x01garbage\r\n\r\n")
        closed, data = closed_by_server(s, 3)
        assert closed and data == b""
    # A plain WebSocket client fails cleanly too.
    async def plain_ws():
        with pytest.raises((websockets.InvalidStatusCode, websockets.InvalidMessage, OSError)):
            await websockets.connect(f"ws://127.0.0.1:{tls_server.port}/api/v1/ws?token=x")
    run(plain_ws())
    assert tls_server.get("/health").status_code == 200


def test_handshake_has_the_header_deadline(herald_factory, cert_dir):
    cert, key = make_cert(cert_dir, "herald-one", 0x1001)
    srv = herald_factory("--tls-cert", cert, "--tls-key", key, "--http-header-timeout", "1")
    # Silent after connect: closed once the deadline passes.
    with open_socket(srv.port) as s:
        start = time.monotonic()
        closed, _ = closed_by_server(s, 4)
        assert closed
        assert 0.8 < time.monotonic() - start < 3
    # Half a ClientHello and then silence: the same.
    with open_socket(srv.port) as s:
        s.sendall(bytes.fromhex("160301020001"))
        closed, _ = closed_by_server(s, 4)
        assert closed
    assert srv.get("/health").status_code == 200


def test_sighup_reloads_certificate_and_keeps_connections(herald_factory, cert_dir):
    cert, key = make_cert(cert_dir, "herald-one", 0x1001)
    srv = herald_factory("--tls-cert", cert, "--tls-key", key)
    both = os.path.join(cert_dir, "both.pem")
    new_cert, new_key = make_cert(cert_dir, "herald-two", 0x2002)
    with open(both, "w") as out:
        out.write(open(cert).read() + open(new_cert).read())
    assert peer_identity(srv.port, both) == ("herald-one", 0x1001)
    log_path = os.path.join(srv.data_dir, f"server-{srv.port}.log")

    async def body():
        a = await connect(srv, 1, "alice")
        assert dict(p[0] for p in a.transport.get_extra_info("peercert")["subject"])["commonName"] == \
            "herald-one"
        # The new pair replaces the files in place, then SIGHUP.
        os.replace(new_cert, cert)
        os.replace(new_key, key)
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while peer_identity(srv.port, both) != ("herald-two", 0x2002):
            assert time.monotonic() < deadline, "new handshakes still get the old certificate"
            await asyncio.sleep(0.05)
        # The connection made before the reload is still open and answers.
        await send(a, {"type": "ping"})
        await recv_type(a, "pong")
        # A client that trusts only the new certificate connects.
        b = await connect(srv, 2, "bob")
        await send(b, {"type": "message", "to_user_id": 1, "message": "after reload"})
        assert (await recv_type(a, "chat"))["data"]["message"] == "after reload"

        # A bad file: logged, the certificate in use stays.
        with open(cert, "w") as out:
            out.write("not a certificate\n")
        srv.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "TLS reload failed" not in open(log_path, errors="replace").read():
            assert time.monotonic() < deadline, "no log line for the failed reload"
            await asyncio.sleep(0.05)
        assert peer_identity(srv.port, both) == ("herald-two", 0x2002)
        await send(a, {"type": "ping"})
        await recv_type(a, "pong")
        await send(b, {"type": "ping"})
        await recv_type(b, "pong")
        await a.close()
        await b.close()
    run(body())
    assert srv.proc.poll() is None  # SIGHUP did not end the server


def test_sigterm_closes_wss_connections_with_1001(tls_server):
    async def body():
        a = await connect(tls_server, 1, "alice")
        b = await connect(tls_server, 2, "bob")
        tls_server.proc.send_signal(signal.SIGTERM)
        assert await close_code(a) == 1001
        assert await close_code(b) == 1001
    run(body())
    assert tls_server.proc.wait(timeout=12) == 0


def test_sighup_without_tls_does_not_stop_the_server(herald):
    herald.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    assert herald.proc.poll() is None
    assert herald.get("/health").status_code == 200


def test_bad_certificate_files_stop_the_start(herald_binary, cert_dir, tmp_path):
    cert, key = make_cert(cert_dir, "herald-one", 0x1001)
    other_cert, other_key = make_cert(cert_dir, "herald-two", 0x2002)
    cases = [
        ([cert, os.path.join(cert_dir, "missing.key")], "cannot be read"),
        ([key, key], "not a usable PEM certificate"),
        ([cert, other_key], "does not match"),
    ]
    for (c, k), message in cases:
        out = subprocess.run([herald_binary, "serve", "--port", "1", "--data-dir", str(tmp_path / "d"),
                              "--jwt-secret", "s" * 32, "--tls-cert", c, "--tls-key", k],
                             capture_output=True, text=True, timeout=10)
        assert out.returncode == 2, out
        assert message in out.stdout + out.stderr, out
