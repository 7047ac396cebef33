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
