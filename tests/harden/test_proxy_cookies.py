"""`vigie serve` trusts X-Forwarded-Proto only from VIGIE_TRUSTED_PROXIES; VIGIE_COOKIE_SECURE forces it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import httpx
import pytest

from core.settings import load_settings
from core.storage import open_database
from search_api.app.auth import add_user
from tests.support.cli import serve_vigie

PASSWORD = "motdepasse-proxy"


def _login_cookie(url: str) -> str:
    with httpx.Client(base_url=url, timeout=60) as client:
        form = client.get("/connexion").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        answer = client.post(
            "/connexion",
            data={"username": "ada", "password": PASSWORD, "csrf_token": csrf.group(1)},
            headers={"X-Forwarded-Proto": "https"},
        )
    assert answer.status_code == 303
    return next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and "vigie_session" in v)


@pytest.mark.parametrize(
    ("proxies", "secure_setting", "secure"),
    [("127.0.0.1", None, True), ("10.9.9.9", None, False), ("10.9.9.9", "true", True)],
)
def test_secure_cookie_follows_trusted_proxies(
    tmp_path: Path, proxies: str, secure_setting: str | None, secure: bool
) -> None:
    data_dir = tmp_path / "var"
    _, factory = open_database(load_settings(data_dir=data_dir).resolved_database_url)
    with factory() as session:
        add_user(session, "ada", PASSWORD, "admin")
    env = {**os.environ, "VIGIE_DATA_DIR": str(data_dir), "VIGIE_SECRET_KEY": "proxy-test-secret",
           "VIGIE_TRUSTED_PROXIES": proxies, "VIGIE_LOG_LEVEL": "INFO", "HF_HUB_OFFLINE": "1"}  # fmt: skip
    for name in ("VIGIE_DATABASE_URL", "VIGIE_SEARCH_BACKEND", "VIGIE_COOKIE_SECURE", "FORWARDED_ALLOW_IPS"):
        env.pop(name, None)
    if secure_setting is not None:
        env["VIGIE_COOKIE_SECURE"] = secure_setting
    with serve_vigie(env) as (_proc, url):
        cookie = _login_cookie(url)
    assert ("; secure" in cookie.lower()) is secure, cookie
