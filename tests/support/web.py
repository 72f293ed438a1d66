"""Driving the web app as a browser does: the login form, then the session's CSRF token of a page."""

from __future__ import annotations

import re

import httpx

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's form carries (fails clearly when the page has no form)."""
    found = CSRF_FIELD.search(html)
    assert found is not None, f"no csrf_token field in the page: {html[:300]!r}"
    return found.group(1)


def login(base_url: str, username: str, password: str) -> httpx.Client:
    """A client holding a real session cookie, opened through GET + POST /connexion."""
    client = httpx.Client(base_url=base_url, timeout=30)
    token = csrf_of(client.get("/connexion").text)
    response = client.post(
        "/connexion", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return client


def page_csrf(client: httpx.Client, path: str) -> str:
    """The session's CSRF token, read from the form of the page at ``path``."""
    return csrf_of(client.get(path).text)
