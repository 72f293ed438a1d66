"""Sessions, CSRF and passwords through a real server."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx

from search_api.app.auth import (
    SESSION_COOKIE,
    ThrottlePolicy,
    add_user,
    forgive_login_attempt,
    hash_password,
    take_login_attempt,
    verify_password,
)
from tests.support.live_app import PASSWORD, LiveApp, run_server
from tests.support.web import login, page_csrf


def test_session_cookie_is_httponly_and_samesite(app_live: LiveApp) -> None:
    client = httpx.Client(base_url=app_live.url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/connexion").text).group(1)
    response = client.post("/connexion", data={"username": "rita", "password": PASSWORD, "csrf_token": token})
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_wrong_password_is_refused(app_live: LiveApp) -> None:
    client = httpx.Client(base_url=app_live.url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/connexion").text).group(1)
    data = {"username": "rita", "password": "wrong-one", "csrf_token": token}
    response = client.post("/connexion", data=data)
    assert response.status_code == 401
    assert "incorrect" in response.text


def test_login_without_csrf_is_refused(app_live: LiveApp) -> None:
    client = httpx.Client(base_url=app_live.url)
    response = client.post("/connexion", data={"username": "rita", "password": PASSWORD})
    assert response.status_code == 403


def test_form_post_needs_the_session_csrf_token(app_live: LiveApp) -> None:
    client = login(app_live.url, "rita", PASSWORD)
    refused = client.post("/revue/d4/action", data={"action": "validate"})
    assert refused.status_code == 403
    assert client.get("/api/review/d4").json()["status"] == "pending"
    token = page_csrf(client, "/revue/d4")
    ok = client.post("/revue/d4/action", data={"action": "validate", "csrf_token": token})
    assert ok.status_code == 303
    assert client.get("/api/review/d4").json()["status"] == "validated"
    client.post("/revue/d4/action", data={"action": "reset", "csrf_token": token})
    client.close()


def test_pages_redirect_anonymous_browsers_to_login(app_live: LiveApp) -> None:
    client = httpx.Client(base_url=app_live.url, headers={"accept": "text/html"})
    response = client.get("/revue")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/connexion")


def test_forbidden_page_is_french_and_clean(app_live: LiveApp) -> None:
    client = login(app_live.url, "victor", PASSWORD)
    response = client.get("/revue", headers={"accept": "text/html"})
    client.close()
    assert response.status_code == 403
    assert "Action non autorisée" in response.text and "Traceback" not in response.text


def test_passwords_are_argon2() -> None:
    digest = hash_password("un mot de passe")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "un mot de passe") and not verify_password(digest, "autre")


def test_after_action_redirects_stay_on_site(app_live: LiveApp) -> None:
    client = login(app_live.url, "rita", PASSWORD)
    token = page_csrf(client, "/revue/d4")
    data = {"action": "reset", "csrf_token": token, "next": "//evil.example/x"}
    response = client.post("/revue/d4/action", data=data)
    client.close()
    assert response.headers["location"] == "/revue/d4?ok=reset"  # on site, with a confirmation


def test_pages_send_security_headers(app_live: LiveApp) -> None:
    with app_live.client() as client:
        headers = client.get("/connexion").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_repeated_failures_lock_the_name(app_live: LiveApp) -> None:
    client = httpx.Client(base_url=app_live.url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/connexion").text).group(1)
    data = {"username": "intrus", "password": "mauvais-mot", "csrf_token": token}
    codes = [client.post("/connexion", data=data).status_code for _ in range(11)]
    client.close()
    assert codes[:10] == [401] * 10 and codes[10] == 403


def test_logout_revokes_the_session_on_the_server(app_live: LiveApp) -> None:
    client = login(app_live.url, "rita", PASSWORD)
    stolen = client.cookies[SESSION_COOKIE]  # a copy kept by someone else (shared computer, proxy log...)
    assert client.get("/api/me").json()["username"] == "rita"
    out = client.post("/deconnexion", data={"csrf_token": page_csrf(client, "/recherche")})
    assert out.status_code == 303
    replay = httpx.Client(base_url=app_live.url, cookies={SESSION_COOKIE: stolen})
    assert replay.get("/api/me").status_code == 401
    other = login(app_live.url, "rita", PASSWORD)  # other sessions of the same user live on
    assert other.get("/api/me").status_code == 200
    for c in (client, replay, other):
        c.close()


def test_login_throttle_is_shared_by_every_web_process(app_live: LiveApp) -> None:
    """Ten failures on one server lock the name on another server of the same database too."""

    def attempt(url: str, password: str) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=30) as client:
            token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/connexion").text).group(1)
            data = {"username": "olga", "password": password, "csrf_token": token}
            return client.post("/connexion", data=data)

    with app_live.services.session_factory() as session:
        add_user(session, "olga", PASSWORD, "viewer")
    for _ in range(10):
        assert attempt(app_live.url, "wrong-one").status_code == 401
    with run_server(app_live.services) as second:  # a second web process on the same database
        refused = attempt(second, PASSWORD)
    assert refused.status_code == 403 and "too many failed logins" in refused.text


def _attempt(url: str, username: str, password: str, address: str) -> httpx.Response:
    """A login from ``address``, as the reverse proxy reports it (uvicorn trusts it from 127.0.0.1)."""
    with httpx.Client(base_url=url, timeout=30, headers={"x-forwarded-for": address}) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/connexion").text).group(1)
        return client.post(
            "/connexion", data={"username": username, "password": password, "csrf_token": token}
        )


def test_a_stranger_cannot_lock_someone_out(app_live: LiveApp) -> None:
    with app_live.services.session_factory() as session:
        add_user(session, "paul", PASSWORD, "viewer")
    codes = [_attempt(app_live.url, "paul", "devinette", "203.0.113.9").status_code for _ in range(11)]
    assert codes[:10] == [401] * 10 and codes[10] == 403  # the guessing address is locked out...
    assert _attempt(app_live.url, "paul", PASSWORD, "203.0.113.9").status_code == 403
    assert _attempt(app_live.url, "paul", PASSWORD, "198.51.100.7").status_code == 303  # ...paul is not


def test_the_per_user_total_stops_a_guess_spread_over_addresses(db) -> None:  # type: ignore[no-untyped-def]
    _, factory = db
    policy = ThrottlePolicy(pair_limit=3, user_limit=8)
    with factory() as session:
        outcomes = [take_login_attempt(session, "zoe", f"10.0.0.{i % 4}", policy) for i in range(9)]
    assert outcomes[:8] == [None] * 8 and "too many failed logins for 'zoe'" in (outcomes[8] or "")
    with factory() as session:  # a success takes its own attempt back from the total
        assert all(take_login_attempt(session, "zac", f"10.0.1.{i % 4}", policy) is None for i in range(8))
        forgive_login_attempt(session, "zac", "10.0.1.0")
        assert take_login_attempt(session, "zac", "10.0.1.0", policy) is None
        assert take_login_attempt(session, "zac", "10.0.1.0", policy) is not None


def test_attempts_are_counted_atomically(db) -> None:  # type: ignore[no-untyped-def]
    """Forty attempts at once from one address: exactly ten get past the gate, whatever the interleaving."""
    _, factory = db
    policy = ThrottlePolicy(pair_limit=10, user_limit=100)

    def one(_: int) -> str | None:
        with factory() as session:
            return take_login_attempt(session, "yves", "192.0.2.1", policy)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(one, range(40)))
    assert outcomes.count(None) == 10
