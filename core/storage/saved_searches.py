"""Saved search repository: the named searches users follow, and their secret feed keys."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.storage.tables import SavedSearchRow


class SavedSearchRepository:
    """Stores, lists and deletes saved searches; rows come back detached, ready to render."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def add(self, owner: str, name: str, query: dict[str, Any], feed_key: str) -> SavedSearchRow:
        """Store one saved search and return it with its id."""
        row = SavedSearchRow(owner=owner, name=name, query=query, feed_key=feed_key)
        with self.factory() as session:
            session.add(row)
            session.commit()
        return row

    def list_of(self, owner: str) -> list[SavedSearchRow]:
        """The owner's saved searches."""
        with self.factory() as session:
            return list(session.scalars(select(SavedSearchRow).where(SavedSearchRow.owner == owner)))

    def by_feed_key(self, feed_key: str) -> SavedSearchRow | None:
        """The saved search a feed key stands for."""
        with self.factory() as session:
            return session.scalars(select(SavedSearchRow).where(SavedSearchRow.feed_key == feed_key)).first()

    def remove_owned(self, search_id: int, owner: str) -> bool:
        """Delete the owner's saved search; False when there is none of that id owned by them."""
        with self.factory() as session:
            row = session.get(SavedSearchRow, search_id)
            if row is None or row.owner != owner:
                return False
            session.delete(row)
            session.commit()
        return True
