"""User administration as the admin pages do it: every change audited in the same transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from core.errors import InputError
from core.storage.audit import add_audit
from core.storage.tables import UserRow
from search_api.app import auth


def save_user(factory: sessionmaker[Session], actor: str, username: str, password: str, role: str) -> None:
    """Create or update a user and audit it."""
    with factory() as session:
        auth.add_user(session, username, password, role)
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


def list_users(factory: sessionmaker[Session]) -> list[UserRow]:
    """Every user, by name."""
    with factory() as session:
        return auth.list_users(session)
