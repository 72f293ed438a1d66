"""Users, roles, sessions, CSRF and API tokens: who may do what in the web app."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.domain import ROLES
from core.errors import InputError, NotFoundError, PermissionDeniedError, VigieError
from core.storage.base import utcnow
from core.storage.tables import ApiTokenRow, LoginFailureRow, UserRow, UserSessionRow

log = logging.getLogger(__name__)

SESSION_COOKIE = "vigie_session"
SESSION_MAX_AGE = 12 * 3600
ROLE_RANK = {"viewer": 0, "annotator": 1, "reviewer": 2, "admin": 3}
ROLE_LABELS = {
    "admin": "administrateur",
    "reviewer": "veilleur (revue)",
    "annotator": "annotateur",
    "viewer": "lecteur",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_hasher = PasswordHasher()


class NotAuthenticatedError(VigieError):
    """No valid session cookie or API token came with the request."""

    code = "E401"


@dataclass
class CurrentUser:
    """The authenticated caller of one request."""

    username: str
    role: str
    via: str  # "session" or "token"
    csrf_token: str | None = None
    session_nonce: str | None = None  # the web session to revoke at logout

    def can(self, role: str) -> bool:
        """True when this user's role is at least ``role``."""
        return ROLE_RANK[self.role] >= ROLE_RANK[role]


# --- passwords and users -------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """Argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the stored argon2 hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_role(role: str) -> str:
    """Return the role if it is known, else fail with the list of roles."""
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}", hint=f"use one of: {', '.join(ROLES)}")
    return role


def add_user(session: Session, username: str, password: str, role: str) -> UserRow:
    """Create (or replace the password and role of) a user."""
    check_role(role)
    if not username or len(username) > 100 or not username.replace("-", "").replace(".", "").isalnum():
        raise InputError(f"invalid username {username!r}", hint="use letters, digits, '.' or '-' (max 100)")
    if len(password) < 8:
        raise InputError("password too short", hint="use at least 8 characters")
    row = session.get(UserRow, username) or UserRow(username=username)
    row.password_hash = hash_password(password)
    row.role = role
    session.add(row)
    session.commit()
    log.info("user saved username=%s role=%s", username, role)
    return row


def remove_user(session: Session, username: str) -> None:
    """Delete a user, their API tokens and their open web sessions."""
    row = session.get(UserRow, username)
    if row is None:
        raise NotFoundError(f"no user named {username!r}", hint="see `vigie users list`")
    for token in session.scalars(select(ApiTokenRow).where(ApiTokenRow.username == username)):
        session.delete(token)
    session.execute(delete(UserSessionRow).where(UserSessionRow.username == username))
    session.delete(row)
    session.commit()


def list_users(session: Session) -> list[UserRow]:
    """Every user, by name."""
    return list(session.scalars(select(UserRow).order_by(UserRow.username)))


def authenticate(session: Session, username: str, password: str) -> UserRow | None:
    """The user if the password is right, else None (same answer for unknown users)."""
    row = session.get(UserRow, username)
    if row is None:
        _hasher.hash(password)  # spend the same time as a real check
        return None
    return row if verify_password(row.password_hash, password) else None


# --- API tokens ----------------------------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(session: Session, username: str, label: str | None = None) -> str:
    """Create a bearer token for a user; the clear token is returned once and never stored."""
    if session.get(UserRow, username) is None:
        raise NotFoundError(f"no user named {username!r}", hint="create it with `vigie users add`")
    token = "vigie_" + secrets.token_urlsafe(32)
    session.add(ApiTokenRow(username=username, token_hash=_digest(token), label=label))
    session.commit()
    return token


def resolve_api_token(session: Session, token: str) -> UserRow | None:
    """The user owning a bearer token, or None."""
    row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == _digest(token))).first()
    if row is None:
        return None
    row.last_used_at = datetime.now(UTC)
    session.commit()
    return session.get(UserRow, row.username)


# --- sessions and CSRF ---------------------------------------------------------------------------


def _serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt)


def make_session_cookie(secret: str, username: str, nonce: str) -> str:
    """A signed cookie value naming the user and the session's nonce (recorded by `open_session`)."""
    return _serializer(secret, "session").dumps({"u": username, "n": nonce})


def open_session(session: Session, username: str) -> str:
    """Record a new web session of ``username``; returns its nonce (named by the cookie)."""
    nonce = secrets.token_hex(16)
    session.add(UserSessionRow(nonce=nonce, username=username))
    session.execute(
        delete(UserSessionRow).where(
            UserSessionRow.username == username,
            UserSessionRow.created_at < utcnow() - timedelta(seconds=SESSION_MAX_AGE),
        )
    )  # the user's expired sessions go at each login: the table stays small
    session.commit()
    return nonce


def close_session(session: Session, nonce: str) -> None:
    """Revoke one web session: its cookie is refused from now on, even if someone kept a copy."""
    session.execute(delete(UserSessionRow).where(UserSessionRow.nonce == nonce))
    session.commit()


def count_recent_failures(session: Session, username: str, window_s: float) -> int:
    """Failed logins of ``username`` in the last ``window_s`` seconds (all web processes)."""
    since = utcnow() - timedelta(seconds=window_s)
    query = select(func.count()).where(LoginFailureRow.username == username, LoginFailureRow.at >= since)
    return int(session.scalar(query) or 0)


def record_failure(session: Session, username: str, window_s: float) -> None:
    """Remember a failed login; failures older than the window are dropped."""
    session.add(LoginFailureRow(username=username[:100]))
    cutoff = utcnow() - timedelta(seconds=window_s)
    session.execute(delete(LoginFailureRow).where(LoginFailureRow.at < cutoff))
    session.commit()


def read_session_cookie(secret: str, value: str) -> dict[str, Any] | None:
    """The session payload if the cookie is authentic and fresh, else None."""
    try:
        data = _serializer(secret, "session").loads(value, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    return data if isinstance(data, dict) and "u" in data and "n" in data else None


def make_csrf_token(secret: str, nonce: str) -> str:
    """The CSRF token bound to one session (HMAC of its nonce)."""
    return hmac.new(secret.encode(), f"csrf:{nonce}".encode(), hashlib.sha256).hexdigest()


def set_session_cookie(response: Any, secret: str, username: str, nonce: str, secure: bool = False) -> None:
    """Attach an HttpOnly, SameSite=Lax cookie naming the session ``nonce`` to a response."""
    response.set_cookie(
        SESSION_COOKIE,
        make_session_cookie(secret, username, nonce),
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


# --- request dependencies ------------------------------------------------------------------------


def _load_user(request: Request) -> CurrentUser | None:
    services = request.app.state.services
    secret = services.settings.secret_key
    header = request.headers.get("authorization", "")
    with services.session_factory() as session:
        if header.lower().startswith("bearer "):
            row = resolve_api_token(session, header[7:].strip())
            return CurrentUser(row.username, row.role, "token") if row else None
        data = read_session_cookie(secret, request.cookies.get(SESSION_COOKIE, ""))
        if data is None:
            return None
        open_ = session.get(UserSessionRow, str(data["n"]))
        if open_ is None or open_.username != data["u"]:
            return None  # logged out (revoked), or a session from before server-side sessions
        row = session.get(UserRow, data["u"])
        if row is None:
            return None
        nonce = str(data["n"])
        return CurrentUser(row.username, row.role, "session", make_csrf_token(secret, nonce), nonce)


def get_current_user(request: Request) -> CurrentUser | None:
    """The caller, cached on the request; None when anonymous."""
    if not hasattr(request.state, "user"):
        request.state.user = _load_user(request)
    user: CurrentUser | None = request.state.user
    return user


async def check_csrf(request: Request, user: CurrentUser) -> None:
    """Refuse an unsafe cookie-authenticated request without the session's CSRF token."""
    if request.method not in UNSAFE_METHODS or user.via != "session":
        return
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        sent = str((await request.form()).get("csrf_token") or "")
    if not sent or not user.csrf_token or not hmac.compare_digest(sent, user.csrf_token):
        raise PermissionDeniedError(
            "missing or wrong CSRF token", hint="reload the page and submit the form again"
        )


def require_role(role: str) -> Callable[..., Any]:
    """A FastAPI dependency admitting users whose role is at least ``role``."""
    check_role(role)

    async def dependency(request: Request) -> CurrentUser:
        user = get_current_user(request)
        if user is None:
            raise NotAuthenticatedError(
                "authentication required", hint="log in at /connexion or send a token"
            )
        if not user.can(role):
            raise PermissionDeniedError(
                f"role {user.role!r} cannot do this (needs {role!r} or above)",
                hint="ask an administrator for a higher role",
            )
        await check_csrf(request, user)
        return user

    return dependency
