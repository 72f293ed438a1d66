"""User administration as the admin pages do it: every change audited in the same transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from core.errors import InputError, PermissionDeniedError
from core.storage.audit import add_audit
from core.storage.tables import UserRow
from search_api.app import auth

MIN_PASSWORD_CHARS = 8  # as `auth.add_user`


def save_user(
    factory: sessionmaker[Session],
    actor: str,
    username: str,
    password: str,
    role: str,
    *,
    revoke_tokens: bool = False,
) -> None:
    """Create or update a user and audit it (a password or role change closes the user's sessions)."""
    with factory() as session:
        auth.add_user(session, username, password, role, revoke_tokens=revoke_tokens)
        add_audit(session, actor, "user_save", after={"username": username, "role": role})
        session.commit()


def remove_user(factory: sessionmaker[Session], actor: str, username: str) -> None:
    """Remove a user (never oneself) with their tokens and sessions, and audit it."""
    if username == actor:
        raise InputError("you cannot remove yourself", hint="ask another administrator")
    with factory() as session:
        auth.remove_user(session, username)
        add_audit(session, actor, "user_remove", before={"username": username})
        session.commit()


def change_password(
    factory: sessionmaker[Session], username: str, current: str, new: str, confirm: str, address: str
) -> str:
    """Change one's own password (the current one is required); every session of the user is closed.

    Returns the nonce of a fresh session for the device that asked, so it stays logged in while every
    other device's cookie is refused. The current password check is throttled like a login.
    """
    with factory() as session:
        refused = auth.take_login_attempt(session, username, address)
        if refused is not None:
            raise PermissionDeniedError(
                "Trop d'essais de mot de passe", hint="attendez 15 minutes ou demandez à un administrateur"
            )
        row = auth.authenticate(session, username, current)
        if row is None:
            raise InputError("Mot de passe actuel incorrect", hint="retapez votre mot de passe actuel")
        auth.forgive_login_attempt(session, username, address)
        if new != confirm:
            raise InputError(
                "Les deux nouveaux mots de passe diffèrent", hint="retapez-le deux fois à l'identique"
            )
        if len(new) < MIN_PASSWORD_CHARS:
            raise InputError(
                "Nouveau mot de passe trop court", hint=f"au moins {MIN_PASSWORD_CHARS} caractères"
            )
        if new == current:
            raise InputError("Le nouveau mot de passe est l'ancien", hint="choisissez-en un autre")
        row.password_hash = auth.hash_password(new)
        auth.close_user_sessions(session, username, row, revoke_tokens=False)
        add_audit(session, username, "password_change", after={"username": username})
        session.commit()
        return auth.open_session(session, username)


def list_users(factory: sessionmaker[Session]) -> list[UserRow]:
    """Every user, by name."""
    with factory() as session:
        return auth.list_users(session)
