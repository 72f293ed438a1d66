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
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.domain import ROLES
from core.errors import InputError, NotFoundError, PermissionDeniedError, VigieError
from core.storage.base import utcnow
from core.storage.tables import ApiTokenRow, LoginThrottleRow, UserRow, UserSessionRow

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


def add_user(
    session: Session, username: str, password: str, role: str, *, revoke_tokens: bool = False
) -> UserRow:
    """Create a user, or replace their password and role.

    Changing an existing user's password or role closes every open web session of theirs (the session
    version named by their cookies moves on) and, with ``revoke_tokens``, deletes their API tokens.
    """
    check_role(role)
    if not username or len(username) > 100 or not username.replace("-", "").replace(".", "").isalnum():
        raise InputError(f"invalid username {username!r}", hint="use letters, digits, '.' or '-' (max 100)")
    if len(password) < 8:
        raise InputError("password too short", hint="use at least 8 characters")
    row = session.get(UserRow, username)
    if row is None:
        row = UserRow(username=username, session_version=0)
    elif row.role != role or not verify_password(row.password_hash, password):
        close_user_sessions(session, username, row, revoke_tokens=revoke_tokens)
    elif revoke_tokens:
        close_user_sessions(session, username, row, revoke_tokens=True)
    row.password_hash = hash_password(password)
    row.role = role
    session.add(row)
    session.commit()
    log.info("user saved username=%s role=%s", username, role)
    return row


def close_user_sessions(session: Session, username: str, row: UserRow, *, revoke_tokens: bool) -> None:
    """Refuse every open web session of a user from now on (and their API tokens with ``revoke_tokens``)."""
    row.session_version = int(row.session_version or 0) + 1
    session.execute(delete(UserSessionRow).where(UserSessionRow.username == username))
    if revoke_tokens:
        session.execute(delete(ApiTokenRow).where(ApiTokenRow.username == username))
    log.info("sessions closed username=%s tokens_revoked=%s", username, revoke_tokens)


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


MAX_TOKEN_DAYS = 3650


def create_api_token(
    session: Session, username: str, label: str | None = None, expires_in_days: float | None = None
) -> str:
    """Create a bearer token for a user; the clear token is returned once and never stored.

    ``expires_in_days`` (optional, up to 3650) makes the token refused after that time.
    """
    if session.get(UserRow, username) is None:
        raise NotFoundError(f"no user named {username!r}", hint="create it with `vigie users add`")
    expires_at = None
    if expires_in_days is not None:
        if not 0 < expires_in_days <= MAX_TOKEN_DAYS:
            raise InputError(
                f"token lifetime of {expires_in_days} days", hint=f"give 1 to {MAX_TOKEN_DAYS} days"
            )
        expires_at = datetime.now(UTC) + timedelta(days=expires_in_days)
    token = "vigie_" + secrets.token_urlsafe(32)
    label = (label or "").strip()[:200] or None
    session.add(ApiTokenRow(username=username, token_hash=_digest(token), label=label, expires_at=expires_at))
    session.commit()
    return token


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def list_api_tokens(session: Session, username: str | None = None) -> list[ApiTokenRow]:
    """API tokens (of one user, or everyone's), oldest first; digests only, never the tokens."""
    query = select(ApiTokenRow).order_by(ApiTokenRow.id)
    if username is not None:
        query = query.where(ApiTokenRow.username == username)
    rows = list(session.scalars(query))
    for row in rows:
        row.expires_at = _aware(row.expires_at)
        row.created_at = _aware(row.created_at)  # type: ignore[assignment]  # never None once stored
        row.last_used_at = _aware(row.last_used_at)
    return rows


def revoke_api_token(session: Session, token_id: int, username: str | None = None) -> None:
    """Delete a token (only one of ``username``'s when given); refused at once by every process."""
    row = session.get(ApiTokenRow, token_id)
    if row is None or (username is not None and row.username != username):
        raise NotFoundError(f"no API token {token_id}" + (f" of {username!r}" if username else ""),
                            hint="list them with `vigie users token list` or GET /api/tokens")  # fmt: skip
    session.delete(row)
    session.commit()
    log.info("api token revoked id=%s username=%s", token_id, row.username)


def resolve_api_token(session: Session, token: str) -> UserRow | None:
    """The user owning a bearer token, or None (unknown, revoked or expired)."""
    if not token or len(token) > 200:
        return None
    row = session.scalars(select(ApiTokenRow).where(ApiTokenRow.token_hash == _digest(token))).first()
    if row is None:
        return None
    now = datetime.now(UTC)
    expires_at = _aware(row.expires_at)
    if expires_at is not None and expires_at <= now:
        return None
    row.last_used_at = now
    session.commit()
    return session.get(UserRow, row.username)


# --- sessions and CSRF ---------------------------------------------------------------------------


def _serializer(secret: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=salt)


def make_session_cookie(secret: str, username: str, nonce: str, version: int = 0) -> str:
    """A signed cookie naming the user, the session's nonce (see `open_session`) and the user's session
    version (a password or role change moves it on, and the cookie is refused)."""
    return _serializer(secret, "session").dumps({"u": username, "n": nonce, "v": version})


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


def get_session_version(session: Session, username: str) -> int:
    """The user's current session version (what a new cookie must name)."""
    row = session.get(UserRow, username)
    return int(row.session_version or 0) if row is not None else 0


def close_session(session: Session, nonce: str) -> None:
    """Revoke one web session: its cookie is refused from now on, even if someone kept a copy."""
    session.execute(delete(UserSessionRow).where(UserSessionRow.nonce == nonce))
    session.commit()


@dataclass(frozen=True)
class ThrottlePolicy:
    """Login attempts allowed per window: per (username, address), and per username over all addresses.

    A stranger guessing from one address locks only that address out of the account; the per-user
    total, ten times higher, stops a guess spread over many addresses without a low bar anyone can hit.
    """

    pair_limit: int = 10
    user_limit: int = 100
    window_s: float = 15 * 60.0


ALL_ADDRESSES = "*"


def _count_attempt(session: Session, username: str, address: str, window_s: float) -> int:
    """Add one attempt to a (username, address) counter in one atomic upsert; return the new count."""
    now = utcnow()
    expired = LoginThrottleRow.window_start < now - timedelta(seconds=window_s)
    values = {"username": username, "address": address, "attempts": 1, "window_start": now}
    dialect = session.get_bind().dialect.name
    insert_ = postgresql_insert if dialect == "postgresql" else sqlite_insert
    upsert = insert_(LoginThrottleRow).values(**values)
    stmt = upsert.on_conflict_do_update(
        index_elements=["username", "address"],
        set_={
            "attempts": case((expired, 1), else_=LoginThrottleRow.attempts + 1),
            "window_start": case((expired, now), else_=LoginThrottleRow.window_start),
        },
    ).returning(LoginThrottleRow.attempts)
    return int(session.execute(stmt).scalar_one())


def take_login_attempt(
    session: Session, username: str, address: str, policy: ThrottlePolicy = ThrottlePolicy()
) -> str | None:
    """Count one login attempt before the password is checked; return why it is refused, or None.

    Counting first, atomically, keeps the limits exact when many attempts arrive at once.
    """
    username, address = username[:100], (address or "unknown")[:64]
    pair = _count_attempt(session, username, address, policy.window_s)
    total = _count_attempt(session, username, ALL_ADDRESSES, policy.window_s)
    session.commit()
    if pair > policy.pair_limit:
        return f"too many failed logins for {username!r} from this address"
    if total > policy.user_limit:
        return f"too many failed logins for {username!r}"
    return None


def forgive_login_attempt(session: Session, username: str, address: str) -> None:
    """After a successful login: the pair starts afresh and this attempt leaves the user's total."""
    username, address = username[:100], (address or "unknown")[:64]
    session.execute(
        delete(LoginThrottleRow).where(
            LoginThrottleRow.username == username, LoginThrottleRow.address == address
        )
    )
    total = (LoginThrottleRow.username == username, LoginThrottleRow.address == ALL_ADDRESSES)
    session.execute(
        update(LoginThrottleRow)
        .where(*total, LoginThrottleRow.attempts > 0)
        .values(attempts=LoginThrottleRow.attempts - 1)
    )
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


def set_session_cookie(
    response: Any, secret: str, username: str, nonce: str, secure: bool = False, version: int = 0
) -> None:
    """Attach an HttpOnly, SameSite=Lax cookie naming the session ``nonce`` to a response."""
    response.set_cookie(
        SESSION_COOKIE,
        make_session_cookie(secret, username, nonce, version),
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
        if row is None or int(data.get("v", 0)) != int(row.session_version or 0):
            return None  # gone, or the password or role changed since this session opened
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
