"""Log in and out, who am I, API tokens."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from core.errors import PermissionDeniedError
from search_api.app.auth import (
    SESSION_COOKIE,
    authenticate,
    close_session,
    count_recent_failures,
    create_api_token,
    open_session,
    record_failure,
    set_session_cookie,
)
from search_api.app.dependencies import Viewer, get_services
from search_api.app.routes.rendering import redirect, render

log = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])
LOGIN_CSRF_COOKIE = "vigie_login_csrf"
MAX_FAILED_LOGINS = 10
FAILED_LOGIN_WINDOW = 15 * 60.0


def _check_throttle(session: Session, username: str) -> None:
    """Refuse a login after too many recent failures for the same name (counted in the database, so
    every web process shares the count)."""
    if count_recent_failures(session, username, FAILED_LOGIN_WINDOW) >= MAX_FAILED_LOGINS:
        raise PermissionDeniedError(
            f"too many failed logins for {username!r}", hint="wait 15 minutes or ask an administrator"
        )


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/recherche"


@router.get("/connexion", response_class=HTMLResponse)
def login_page(request: Request, suite: str | None = None) -> Response:
    """The login form, with a double-submit CSRF token (there is no session yet)."""
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", {"suite": _safe_next(suite), "error": None, "login_csrf": token})
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict", path="/")
    return response


@router.post("/connexion", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    suite: Annotated[str | None, Form()] = None,
) -> Response:
    """Check the login CSRF token and the password, then open a session."""
    services = get_services(request)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        raise PermissionDeniedError("missing or wrong CSRF token", hint="reload the login page and try again")
    username = username.strip()
    with services.session_factory() as session:
        _check_throttle(session, username)
        user = authenticate(session, username, password)
        if user is None:
            record_failure(session, username, FAILED_LOGIN_WINDOW)
        else:
            nonce = open_session(session, user.username)
    if user is None:
        log.info("login failed username=%s", username)
        context = {
            "suite": _safe_next(suite),
            "error": "Identifiant ou mot de passe incorrect.",
            "login_csrf": expected,
        }
        return render(request, "login.html", context, status_code=401)
    response = redirect(_safe_next(suite))
    secure = request.url.scheme == "https"
    set_session_cookie(response, services.settings.secret_key, user.username, nonce, secure)
    log.info("login username=%s role=%s", user.username, user.role)
    return response


@router.post("/deconnexion")
def logout(request: Request, user: Viewer) -> Response:
    """Close the session on the server (its cookie is refused from now on) and delete the cookie."""
    if user.session_nonce:
        with get_services(request).session_factory() as session:
            close_session(session, user.session_nonce)
        log.info("logout username=%s", user.username)
    response = redirect("/connexion")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/api/me")
def me(user: Viewer) -> dict[str, Any]:
    """The authenticated caller and its role."""
    return {"username": user.username, "role": user.role, "via": user.via}


@router.post("/api/tokens")
def new_token(request: Request, user: Viewer, label: str | None = None) -> dict[str, str]:
    """Create an API token for the caller (shown once: keep it)."""
    with get_services(request).session_factory() as session:
        token = create_api_token(session, user.username, label)
    return {"token": token, "username": user.username}


@router.get("/compte", response_class=HTMLResponse)
def account_page(request: Request, user: Viewer) -> Response:
    """The user's account page: role and API token creation."""
    return render(request, "account.html", {"token": None})


@router.post("/compte/jeton", response_class=HTMLResponse)
def account_token(request: Request, user: Viewer, label: Annotated[str | None, Form()] = None) -> Response:
    """Create an API token from the account page."""
    with get_services(request).session_factory() as session:
        token = create_api_token(session, user.username, label)
    return render(request, "account.html", {"token": token})
