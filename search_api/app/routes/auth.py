"""Log in and out, who am I, API tokens."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from core.errors import InputError, PermissionDeniedError
from search_api.app import auth as auth_service
from search_api.app import users
from search_api.app.auth import (
    MAX_TOKEN_DAYS,
    SESSION_COOKIE,
    authenticate,
    close_session,
    create_api_token,
    forgive_login_attempt,
    list_api_tokens,
    open_session,
    revoke_api_token,
    set_session_cookie,
    take_login_attempt,
)
from search_api.app.dependencies import Viewer, get_services
from search_api.app.routes.rendering import redirect, render
from search_api.app.validation import RowIdPath

log = logging.getLogger(__name__)
router = APIRouter(tags=["auth"])
LOGIN_CSRF_COOKIE = "vigie_login_csrf"


def _client_address(request: Request) -> str:
    """The caller's address (behind the reverse proxy, uvicorn's proxy headers give the real one)."""
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after login; by default, the overview."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/"


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
    address = _client_address(request)
    with services.session_factory() as session:
        refused = take_login_attempt(session, username, address)
        if refused is not None:
            log.warning("login throttled username=%s address=%s", username, address)
            raise PermissionDeniedError(refused, hint="wait 15 minutes or ask an administrator")
        user = authenticate(session, username, password)
        if user is not None:
            forgive_login_attempt(session, username, address)
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
    secure = services.settings.cookie_secure
    if secure is None:  # auto: the scheme as seen through the trusted proxies (VIGIE_TRUSTED_PROXIES)
        secure = request.url.scheme == "https"
    set_session_cookie(
        response, services.settings.secret_key, user.username, nonce, secure, user.session_version or 0
    )
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


class TokenIn(BaseModel):
    """A new API token: a label and an optional lifetime."""

    label: Annotated[str, StringConstraints(max_length=200)] | None = None
    expires_in_days: Annotated[int, Field(ge=1, le=MAX_TOKEN_DAYS)] | None = None


def _token_json(row: Any) -> dict[str, Any]:
    def when(moment: Any) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": row.id,
        "username": row.username,
        "label": row.label,
        "created_at": when(row.created_at),
        "last_used_at": when(row.last_used_at),
        "expires_at": when(row.expires_at),
    }


@router.post("/api/tokens")
def new_token(
    request: Request,
    user: Viewer,
    body: TokenIn | None = None,
    label: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Create an API token for the caller (shown once: keep it), optionally expiring."""
    body = body or TokenIn(label=label)
    with get_services(request).session_factory() as session:
        token = create_api_token(session, user.username, body.label or label, body.expires_in_days)
        row = list_api_tokens(session, user.username)[-1]
    return {
        "token": token,
        "username": user.username,
        "id": row.id,
        "expires_at": _token_json(row)["expires_at"],
    }


@router.get("/api/tokens")
def list_tokens(request: Request, user: Viewer, all_users: bool = False) -> dict[str, Any]:
    """The caller's API tokens (an administrator may ask for everyone's); never the tokens themselves."""
    if all_users and not user.can("admin"):
        raise PermissionDeniedError("only administrators see every token", hint="drop all_users")
    with get_services(request).session_factory() as session:
        rows = list_api_tokens(session, None if all_users else user.username)
    return {"items": [_token_json(r) for r in rows]}


@router.delete("/api/tokens/{token_id}")
def delete_token(request: Request, token_id: RowIdPath, user: Viewer) -> dict[str, Any]:
    """Revoke one of the caller's tokens (an administrator may revoke anyone's)."""
    with get_services(request).session_factory() as session:
        revoke_api_token(session, token_id, None if user.can("admin") else user.username)
    return {"revoked": token_id}


ACCOUNT_FLASH = {
    "revoque": "Jeton révoqué : il est refusé dès maintenant.",
    "mot-de-passe": "Mot de passe changé. Vos sessions sur les autres appareils sont fermées.",
}


def _account(
    request: Request, user: Any, token: str | None = None, error: Any = None, status_code: int = 200
) -> Response:
    """The account page: role, API tokens (an admin may list everyone's), password change."""
    everyone = user.can("admin") and request.query_params.get("tous") == "1"
    with get_services(request).session_factory() as session:
        tokens = list_api_tokens(session, None if everyone else user.username)
    context = {
        "token": token,
        "tokens": tokens,
        "everyone": everyone,
        "password_error": error,
        "flash": ACCOUNT_FLASH.get(str(request.query_params.get("ok") or "")),
    }
    return render(request, "account.html", context, status_code=status_code)


@router.get("/compte", response_class=HTMLResponse)
def account_page(request: Request, user: Viewer) -> Response:
    """The user's account page: role, API tokens (list, create, revoke), password change."""
    return _account(request, user)


@router.post("/compte/jeton", response_class=HTMLResponse)
def account_token(request: Request, user: Viewer, label: Annotated[str | None, Form()] = None) -> Response:
    """Create an API token from the account page."""
    with get_services(request).session_factory() as session:
        token = create_api_token(session, user.username, label)
    return _account(request, user, token=token)


@router.post("/compte/jeton/{token_id}/revoquer")
def account_revoke_token(request: Request, token_id: RowIdPath, user: Viewer) -> Response:
    """Revoke one of one's tokens (an administrator may revoke anyone's) from the account page."""
    with get_services(request).session_factory() as session:
        revoke_api_token(session, token_id, None if user.can("admin") else user.username)
    back = "/compte?tous=1&ok=revoque" if request.query_params.get("tous") == "1" else "/compte?ok=revoque"
    return redirect(back)


@router.post("/compte/mot-de-passe", response_class=HTMLResponse)
def account_password(
    request: Request,
    user: Viewer,
    current: Annotated[str, Form(max_length=1000)] = "",
    new: Annotated[str, Form(max_length=1000)] = "",
    confirm: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Change one's password: the current one is required; other devices' sessions are closed."""
    services = get_services(request)
    try:
        nonce = users.change_password(
            services.session_factory, user.username, current, new, confirm, _client_address(request)
        )
    except InputError as exc:
        return _account(request, user, error=exc, status_code=422)
    response = redirect("/compte?ok=mot-de-passe")
    with services.session_factory() as session:
        version = auth_service.get_session_version(session, user.username)
    secure = services.settings.cookie_secure
    if secure is None:
        secure = request.url.scheme == "https"
    set_session_cookie(response, services.settings.secret_key, user.username, nonce, secure, version)
    log.info("password changed username=%s", user.username)
    return response


class PasswordIn(BaseModel):
    """A password change through the API (token users): the current password is required."""

    current_password: Annotated[str, StringConstraints(max_length=1000)]
    new_password: Annotated[str, StringConstraints(max_length=1000)]


@router.post("/api/me/password")
def api_password(request: Request, body: PasswordIn, user: Viewer) -> dict[str, Any]:
    """Change the caller's password; every web session of theirs is closed (API tokens stay valid)."""
    users.change_password(
        get_services(request).session_factory,
        user.username,
        body.current_password,
        body.new_password,
        body.new_password,
        _client_address(request),
    )
    return {"username": user.username, "sessions_closed": True}
