"""Token rules of PROTOCOL.md 1 over real sockets: nbf, iat in the future,
canonical sub, the header typ, the HS256 secret's length at start-up, and
refresh-token families (reuse of a rotated token revokes the chain)."""
import subprocess
import time

import websockets

from conftest import SECRET
from wsutil import close_code, connect, run

ME = "/api/v1/users/me"


def ws_close(srv, token):
    async def body():
        ws = await websockets.connect(srv.ws_url(token))
        return await close_code(ws)
    return run(body())


def ws_opens(srv, user_id, token):
    async def body():
        ws = await connect(srv, user_id, token=token)
        assert ws.welcome["data"]["user_id"] == user_id
        await ws.close()
    run(body())


def test_token_not_yet_valid_is_refused(herald):
    future = herald.token(41, nbf=int(time.time()) + 120)
    assert ws_close(herald, future) == 4001
    r = herald.get(ME, token=future)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
    # nbf in the past is fine.
    past = herald.token(41, nbf=int(time.time()) - 5)
    ws_opens(herald, 41, past)
    assert herald.get(ME, token=past).status_code == 200


def test_iat_in_the_future_beyond_leeway_is_refused(herald):
    now = int(time.time())
    far = herald.token(42, iat=now + 600)
    assert ws_close(herald, far) == 4001
    assert herald.get(ME, token=far).status_code == 401
    # Within the 60 s leeway: a clock a little ahead of ours is tolerated.
    near = herald.token(42, iat=now + 20)
    ws_opens(herald, 42, near)
    assert herald.get(ME, token=near).status_code == 200


def test_sub_must_be_canonical_decimal(herald):
    for sub in ("0007", "+7", "07", "7 ", "0"):
        tok = herald.token(7, sub=sub)
        assert ws_close(herald, tok) == 4001, sub
        assert herald.get(ME, token=tok).status_code == 401, sub
    ws_opens(herald, 7, herald.token(7, sub="7"))


def test_typ_at_jwt_is_accepted(herald):
    for header in ({"alg": "HS256", "typ": "at+jwt"}, {"alg": "HS256", "typ": "application/at+jwt"},
                   {"alg": "HS256"}, {"alg": "HS256", "typ": "JWT"}):
        tok = herald.token(43, header=header)
        ws_opens(herald, 43, tok)
        assert herald.get(ME, token=tok).status_code == 200, header
    other = herald.token(43, header={"alg": "HS256", "typ": "JOSE+JSON"})
    assert ws_close(herald, other) == 4001
    assert herald.get(ME, token=other).status_code == 401


def start_with(binary, tmp_path, *args, env=None):
    data = tmp_path / "short-secret"
    data.mkdir(exist_ok=True)
    return subprocess.run([binary, "serve", "--port", "1", "--data-dir", str(data), *args],
                          capture_output=True, text=True, timeout=10, env=env)


def test_short_hs256_secret_refuses_to_start(herald_binary, tmp_path):
    r = start_with(herald_binary, tmp_path, "--jwt-secret", "too-short-secret")
    assert r.returncode == 2
    assert "--jwt-secret" in r.stderr and "32 bytes" in r.stderr, r.stderr
    r = start_with(herald_binary, tmp_path, env={"HERALD_JWT_SECRET": "x" * 31})
    assert r.returncode == 2 and "32 bytes" in r.stderr, r.stderr
    r = subprocess.run([herald_binary, "token", "--user-id", "1", "--username", "a",
                        "--jwt-secret", "short"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "32 bytes" in r.stderr, r.stderr
    # A secret file someone shortened by hand is refused as well.
    data = tmp_path / "short-file"
    data.mkdir()
    (data / "jwt_secret").write_text("abc\n")
    r = subprocess.run([herald_binary, "serve", "--port", "1", "--data-dir", str(data)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "32 bytes" in r.stderr + r.stdout, r.stderr + r.stdout


def test_secret_of_32_bytes_and_generated_secret_start(herald_factory):
    srv = herald_factory("--jwt-secret", "k" * 32)
    assert srv.get("/health").status_code == 200
    # No secret configured: one is generated and kept in the data directory.
    gen = herald_factory("--jwt-secret", "")
    assert gen.get("/health").status_code == 200
    assert len(open(gen.data_dir + "/jwt_secret").read().strip()) >= 32


def login(srv, name):
    assert srv.post("/api/v1/auth/register", json={"username": name, "password": "password123"}).status_code == 201
    r = srv.post("/api/v1/auth/login", json={"username": name, "password": "password123"})
    assert r.status_code == 200, r.text
    return r.json()


def refresh(srv, token):
    return srv.post("/api/v1/auth/refresh", json={"refresh_token": token})


def test_reusing_a_rotated_refresh_token_revokes_the_family(herald):
    t1 = login(herald, "family")
    r2 = refresh(herald, t1["refresh_token"])
    assert r2.status_code == 200, r2.text
    t2 = r2.json()
    r3 = refresh(herald, t2["refresh_token"])
    assert r3.status_code == 200, r3.text
    t3 = r3.json()
    # Another login is another family, untouched by what follows.
    other = herald.post("/api/v1/auth/login", json={"username": "family", "password": "password123"}).json()

    # t1 was rotated away: presenting it again means it leaked.
    assert refresh(herald, t1["refresh_token"]).status_code == 401
    # Every later token of that chain is dead too, the newest included.
    assert refresh(herald, t3["refresh_token"]).status_code == 401
    assert refresh(herald, t2["refresh_token"]).status_code == 401
    # The other session goes on.
    ok = refresh(herald, other["refresh_token"])
    assert ok.status_code == 200, ok.text
    assert refresh(herald, ok.json()["refresh_token"]).status_code == 200


def test_family_revocation_survives_a_restart(herald_factory, tmp_path):
    data = tmp_path / "persist"
    srv = herald_factory(data_dir=data)
    t1 = login(srv, "restart")
    t2 = refresh(srv, t1["refresh_token"]).json()
    assert srv.stop() == 0
    srv2 = herald_factory(data_dir=data)
    assert refresh(srv2, t1["refresh_token"]).status_code == 401
    assert refresh(srv2, t2["refresh_token"]).status_code == 401
