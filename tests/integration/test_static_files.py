"""The demo app's static files at `/` (--web-root): content types, cache
headers, HEAD, traversal refused, 404, and the API routes always winning."""
import os

from httputil import open_socket, read_response


def make_root(tmp_path):
    root = tmp_path / "web"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>demo</title>")
    (root / "assets" / "app-2KP6QK66.js").write_text("console.log(1)")
    (root / "assets" / "app-2KP6QK66.js.map").write_text("{}")
    (root / "assets" / "app-EPWBLHMC7.css").write_text("body{}")
    (root / "logo.svg").write_text("<svg/>")
    (root / "icon.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "data.json").write_text("{}")
    (root / "plain.js").write_text("1")
    # Outside the root: a secret and a symlink inside the root pointing at it.
    (tmp_path / "secret.txt").write_text("top secret")
    os.symlink(tmp_path / "secret.txt", root / "leak.txt")
    return root


def raw_get(port, target, method="GET"):
    s = open_socket(port)
    try:
        s.sendall(f"{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return read_response(s)
    finally:
        s.close()


def test_content_types_and_cache(herald_factory, tmp_path):
    srv = herald_factory("--web-root", str(make_root(tmp_path)))
    r = srv.get("/")
    assert r.status_code == 200 and "<title>demo</title>" in r.text
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-cache"
    assert srv.get("/index.html").text == r.text
    expect = {
        "/assets/app-2KP6QK66.js": "text/javascript; charset=utf-8",
        "/assets/app-2KP6QK66.js.map": "application/json",
        "/assets/app-EPWBLHMC7.css": "text/css; charset=utf-8",
        "/logo.svg": "image/svg+xml",
        "/icon.png": "image/png",
        "/data.json": "application/json",
    }
    for path, ctype in expect.items():
        r = srv.get(path)
        assert r.status_code == 200, path
        assert r.headers["Content-Type"] == ctype, path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
    immutable = "public, max-age=31536000, immutable"
    assert srv.get("/assets/app-2KP6QK66.js").headers["Cache-Control"] == immutable
    assert srv.get("/assets/app-EPWBLHMC7.css").headers["Cache-Control"] == immutable
    assert srv.get("/plain.js").headers["Cache-Control"] == "no-cache"


def test_head_has_length_and_no_body(herald_factory, tmp_path):
    srv = herald_factory("--web-root", str(make_root(tmp_path)))
    s = open_socket(srv.port)
    try:
        s.sendall(b"HEAD /assets/app-2KP6QK66.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:  # to the server's close: everything it sent
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert b"\r\nContent-Length: 14" in head, head
    assert b"Content-Type: text/javascript; charset=utf-8" in head
    assert body == b""


def test_traversal_and_outside_files_refused(herald_factory, tmp_path):
    srv = herald_factory("--web-root", str(make_root(tmp_path)))
    for target in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt",
                   "/assets/%2e%2e/%2e%2e/secret.txt", "/..%2fsecret.txt", "/./index.html"):
        status, _, body = raw_get(srv.port, target)
        assert status in (400, 404), (target, status)
        assert b"top secret" not in body, target
    r = srv.get("/leak.txt")  # a symlink out of the root is never loaded
    assert r.status_code == 404 and "top secret" not in r.text


def test_unknown_files_404_and_methods(herald_factory, tmp_path):
    srv = herald_factory("--web-root", str(make_root(tmp_path)))
    r = srv.get("/nope.html")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    assert srv.post("/index.html").status_code == 404


def test_api_routes_win(herald_factory, tmp_path):
    root = make_root(tmp_path)
    # Files that would shadow the API if static files came first.
    (root / "health").write_text("shadow")
    (root / "metrics").write_text("shadow")
    (root / "api" / "v1").mkdir(parents=True)
    (root / "api" / "v1" / "online").write_text("shadow")
    (root / "api" / "v1" / "unknown").write_text("shadow")
    srv = herald_factory("--web-root", str(root))
    assert srv.get("/health").json() == {"status": "ok"}
    assert "herald_connections" in srv.get("/metrics").text
    r = srv.get("/api/v1/online")
    assert r.status_code == 401 and "shadow" not in r.text
    r = srv.get("/api/v1/unknown")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    r = srv.get("/api/v1/ws")
    assert "shadow" not in r.text


def test_no_web_root_means_no_files(herald_factory, tmp_path):
    srv = herald_factory("--web-root", "none")
    assert srv.get("/").status_code == 404
    assert srv.get("/health").status_code == 200
