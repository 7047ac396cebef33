"""REST requests are limited per authenticated user (issue 10): one token
holder hammering /online gets 429 with Retry-After beyond the budget, and
other users are served as before."""
import requests


def test_one_user_is_limited_and_others_are_not(herald_factory):
    srv = herald_factory("--rest-rate", "5", "--rest-burst", "10")
    hammer, other = srv.token(1), srv.token(2)
    with requests.Session() as s:
        codes = [s.get(srv.base + "/api/v1/online", headers={"Authorization": f"Bearer {hammer}"},
                       timeout=5).status_code for _ in range(40)]
        assert codes.count(200) >= 10 and codes.count(429) >= 20, codes
        assert set(codes) == {200, 429}
        r = s.get(srv.base + "/api/v1/online/count", headers={"Authorization": f"Bearer {hammer}"}, timeout=5)
        if r.status_code == 429:
            assert r.headers["Retry-After"] == "1"
            assert r.json() == {"detail": "Too many requests; slow down"}
        r = s.get(srv.base + "/api/v1/online", headers={"Authorization": f"Bearer {other}"}, timeout=5)
        assert r.status_code == 200
        # Unauthenticated requests are refused before any budget is spent.
        assert s.get(srv.base + "/api/v1/online", timeout=5).status_code == 401
