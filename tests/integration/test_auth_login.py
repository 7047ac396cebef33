"""Login and registration under abuse (PROTOCOL.md 6.2 and ARCHITECTURE.md
"Decisions"): the OAuth2 form body, the throttle under parallel attempts,
oversized usernames, and the registration throttle."""
from concurrent.futures import ThreadPoolExecutor

import requests

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"


def register(srv, username, password="password123"):
    return srv.post(REGISTER, json={"username": username, "password": password})


def parallel(n, fn):
    """Runs fn(i) for i in 0..n-1 on n threads at once; returns the results in order."""
    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(fn, range(n)))


def test_form_login_decodes_percent_and_plus(herald):
    # requests form-encodes: ' ' -> '+', '@' -> %40, '&' -> %26, '+' -> %2B, '%' -> %25.
    password = "p@ss word+&%=ü!"
    assert register(herald, "form_user", password).status_code == 201
    r = herald.post(LOGIN, data={"username": "form_user", "password": password})
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "bearer"
    # The content type's parameters and case do not matter (RFC 9110 media types).
    body = "username=form%5Fuser&password=" + requests.utils.quote(password, safe="").replace("%20", "+")
    r = herald.post(LOGIN, data=body,
                    headers={"Content-Type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8"})
    assert r.status_code == 200, r.text
    # The encoded bytes are not the password: '+' is a space, not a plus.
    wrong = herald.post(LOGIN, data="username=form_user&password=p%40ss+word%2B%26%25%3D%C3%BC!x",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert wrong.status_code == 401


def test_parallel_wrong_logins_are_throttled(herald):
    assert register(herald, "target").status_code == 201

    def attempt(_):
        return requests.post(herald.base + LOGIN, json={"username": "target", "password": "wrongpass1"},
                             timeout=30).status_code

    codes = parallel(30, attempt)
    assert set(codes) <= {401, 429}, codes
    assert codes.count(401) <= 5, codes
    assert codes.count(429) >= 25, codes


def test_success_does_not_count_against_the_address(herald):
    # Attempts are counted when they start; a successful one is given back,
    # so a user who logs in often from one address is never throttled.
    assert register(herald, "frequent").status_code == 201
    for _ in range(8):
        r = herald.post(LOGIN, json={"username": "frequent", "password": "password123"})
        assert r.status_code == 200, r.text


def test_oversized_username_is_refused_before_any_work(herald):
    huge = "a" * 500_000
    r = herald.post(LOGIN, json={"username": huge, "password": "whatever1"})
    assert r.status_code == 401
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")
    # Same answer as wrong credentials, so the rule reveals nothing.
    nouser = herald.post(LOGIN, json={"username": "nobody", "password": "whatever1"})
    assert r.json() == nouser.json()
    r = herald.post(LOGIN, data={"username": huge, "password": "whatever1"})
    assert r.status_code == 401
    # Not counted by the throttle: many of them never turn into 429.
    for _ in range(8):
        assert herald.post(LOGIN, json={"username": "bad name!", "password": "x"}).status_code == 401
    assert herald.get("/health").status_code == 200


def test_parallel_registrations_from_one_address_are_throttled(herald_factory):
    srv = herald_factory("--register-max-attempts", "4", "--register-window", "600")

    def attempt(i):
        r = requests.post(srv.base + REGISTER, json={"username": f"flood{i}", "password": "password123"},
                          timeout=30)
        return r.status_code, r.headers.get("Retry-After")

    results = parallel(12, attempt)
    codes = [c for c, _ in results]
    assert codes.count(201) == 4, codes
    assert codes.count(429) == 8, codes
    assert all(int(retry) >= 1 for c, retry in results if c == 429), results
    # The registration throttle does not touch logins from that address.
    created = next(i for i, c in enumerate(codes) if c == 201)
    r = srv.post(LOGIN, json={"username": f"flood{created}", "password": "password123"})
    assert r.status_code == 200, r.text


def test_registration_throttle_default_allows_ten(herald):
    codes = [register(herald, f"member{i}").status_code for i in range(12)]
    assert codes[:10] == [201] * 10, codes
    assert codes[10:] == [429, 429], codes


def test_full_hashing_queue_answers_503_with_retry_after(herald_factory):
    # One queued registration at most (half of 2); the CPU pool hashes two at
    # a time, so thirty arriving together cannot all be taken.
    srv = herald_factory("--hash-queue-max", "2", "--register-max-attempts", "1000")

    def attempt(i):
        r = requests.post(srv.base + REGISTER, json={"username": f"busy{i}", "password": "password123"},
                          timeout=30)
        return r.status_code, r.headers.get("Retry-After")

    results = parallel(30, attempt)
    codes = [c for c, _ in results]
    assert set(codes) <= {201, 503}, codes
    assert codes.count(503) >= 1, codes
    assert all(retry == "1" for c, retry in results if c == 503), results
    # A refused registration created nothing and is not counted: it can be retried.
    refused = next(i for i, c in enumerate(codes) if c == 503)
    assert register(srv, f"busy{refused}").status_code == 201
    created = next(i for i, c in enumerate(codes) if c == 201)
    assert srv.post(LOGIN, json={"username": f"busy{created}", "password": "password123"}).status_code == 200
