"""The index outbox: documents whose search entry is stale, recorded in the transaction of the change.

A review action adds its document here before it commits, so the database never holds a change the
index will not hear about; whoever drains the outbox (the web server, `vigie index`, `vigie watch`)
re-indexes the documents and only then deletes the rows it read. A crash between the two re-indexes
them once more, which is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.storage.tables import IndexOutboxRow


def enqueue(session: Session, doc_ids: Iterable[str]) -> None:
    """Add documents to the outbox in the caller's transaction (the caller commits with its change)."""
    for doc_id in dict.fromkeys(doc_ids):
        session.add(IndexOutboxRow(doc_id=doc_id))


def read_batch(session: Session, limit: int = 500) -> tuple[list[int], list[str]]:
    """The oldest outbox rows: their ids (to acknowledge later) and their distinct document ids."""
    rows = session.execute(
        select(IndexOutboxRow.id, IndexOutboxRow.doc_id).order_by(IndexOutboxRow.id).limit(limit)
    ).all()
    return [r.id for r in rows], list(dict.fromkeys(r.doc_id for r in rows))


def acknowledge(session: Session, row_ids: list[int]) -> None:
    """Delete outbox rows once their documents are indexed, and commit."""
    for start in range(0, len(row_ids), 500):
        session.execute(delete(IndexOutboxRow).where(IndexOutboxRow.id.in_(row_ids[start : start + 500])))
    session.commit()


def count_pending(session: Session) -> int:
    """How many outbox rows wait to be indexed."""
    return int(session.scalar(select(func.count()).select_from(IndexOutboxRow)) or 0)


def clear_upto(session: Session, last_id: int) -> None:
    """Delete rows up to ``last_id`` (after a full re-index that started once they were written)."""
    session.execute(delete(IndexOutboxRow).where(IndexOutboxRow.id <= last_id))
    session.commit()


def last_id(session: Session) -> int:
    """The newest outbox row id (0 when empty)."""
    return int(session.scalar(select(func.max(IndexOutboxRow.id))) or 0)
