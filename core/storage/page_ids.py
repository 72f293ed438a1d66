"""Re-key stored pages after a change of the URL canonicalisation rule, merging pages that now coincide.

Run by Alembic (migration 0008) when any process opens the database, in the migration's transaction:
every page id changes, or none. Nothing is lost: a merged page's analysis, review, annotations and audit
entries follow it, and rows that cannot sit beside the survivor's are kept in ``page_id_moves.merged``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, MetaData, Row, Table, delete, insert, select, update

from core.ids import make_page_id
from core.urls import canonicalize_url

log = logging.getLogger(__name__)


@dataclass
class RekeyReport:
    """What a re-keying did: pages whose id changed, pages merged into another one."""

    moved: int = 0
    merged: int = 0


class _Tables:
    """The tables holding page ids, read from the database itself (a migration must not trust the ORM)."""

    def __init__(self, conn: Connection) -> None:
        meta = MetaData()
        names = ("pages", "analyses", "reviews", "annotations", "audit_log", "page_id_moves")
        self.pages, self.analyses, self.reviews, self.annotations, self.audit, self.moves = (
            Table(name, meta, autoload_with=conn) for name in names
        )


def _jsonable(row: Row[Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: v.isoformat() if isinstance(v, datetime | date) else v for k, v in row._mapping.items()}


def _survivor(members: list[Row[Any]], new_id: str) -> Row[Any]:
    """The page already at the new id, else the most recently fetched one."""

    def rank(row: Row[Any]) -> tuple[bool, datetime, str]:
        fetched = row.fetched_at or datetime.min
        return (row.id == new_id, fetched.replace(tzinfo=None), row.id)

    return max(members, key=rank)


def _repoint(conn: Connection, t: _Tables, old: str, new: str) -> None:
    """Move every reference to page ``old`` that can coexist with others (annotations, audit, duplicates)."""
    conn.execute(update(t.annotations).where(t.annotations.c.doc_id == old).values(doc_id=new))
    conn.execute(update(t.audit).where(t.audit.c.doc_id == old).values(doc_id=new))
    conn.execute(update(t.pages).where(t.pages.c.duplicate_of == old).values(duplicate_of=new))


def _move_one_to_one(conn: Connection, t: _Tables, table: Table, old: str, new: str) -> dict[str, Any] | None:
    """Give ``old``'s row of a one-row-per-page table to ``new``; when both have one, return the one left."""
    row = conn.execute(select(table).where(table.c.doc_id == old)).first()
    if row is None:
        return None
    kept = conn.execute(select(table).where(table.c.doc_id == new)).first()
    if kept is None:
        values: dict[str, Any] = {"doc_id": new}
        if table is t.analyses and isinstance(row.result, dict):
            values["result"] = {**row.result, "id": new}
        conn.execute(update(table).where(table.c.doc_id == old).values(**values))
        return None
    if table is t.reviews and kept.status == "pending" and row.status != "pending":
        # A human decision outranks a pending placeholder: keep the decision, set the placeholder aside.
        conn.execute(delete(table).where(table.c.doc_id == new))
        conn.execute(update(table).where(table.c.doc_id == old).values(doc_id=new))
        return _jsonable(kept)
    conn.execute(delete(table).where(table.c.doc_id == old))
    return _jsonable(row)


def _move(conn: Connection, t: _Tables, page: Row[Any], new_id: str, new_url: str, keep: bool) -> None:
    """Move page ``page`` to ``new_id``: renamed when ``keep``, else merged into the page already there."""
    aside: dict[str, Any] = {}
    for name, table in (("analysis", t.analyses), ("review", t.reviews)):
        row = _move_one_to_one(conn, t, table, page.id, new_id)
        if row is not None:
            aside[name] = row
    _repoint(conn, t, page.id, new_id)
    if keep:
        conn.execute(update(t.pages).where(t.pages.c.id == page.id).values(id=new_id, canonical_url=new_url))
    else:
        full = conn.execute(select(t.pages).where(t.pages.c.id == page.id)).first()
        aside["page"] = _jsonable(full) or {}
        conn.execute(delete(t.pages).where(t.pages.c.id == page.id))
    conn.execute(
        insert(t.moves).values(
            old_id=page.id,
            new_id=new_id,
            old_canonical_url=page.canonical_url,
            merged=aside or None,
            moved_at=datetime.now(UTC),
        )
    )


def rekey_pages(conn: Connection, canonicalize: Callable[[str], str] = canonicalize_url) -> RekeyReport:
    """Re-canonicalise every derived page id (sha1 of the canonical URL), merging pages that now coincide.

    Pages stored under an id of their own (imported lines) are left as they are; derived pages whose new
    URL is such a page's merge into it. Analyses of moved pages get a new ``analysed_at`` so that the
    next indexing picks them up.
    """
    t = _Tables(conn)
    report = RekeyReport()
    columns = (t.pages.c.id, t.pages.c.canonical_url, t.pages.c.fetched_at)
    groups: dict[str, list[Row[Any]]] = defaultdict(list)
    own_id: dict[str, Row[Any]] = {}
    for row in conn.execute(select(*columns).where(t.pages.c.canonical_url.is_not(None))):
        if row.id == make_page_id(row.canonical_url):
            groups[canonicalize(row.canonical_url)].append(row)
        else:
            own_id[row.canonical_url] = row
    for new_url, members in groups.items():
        holder = own_id.get(new_url)
        survivor = holder or _survivor(members, make_page_id(new_url))
        target = holder.id if holder is not None else make_page_id(new_url)
        # The survivor moves first, so that its own analysis and review win over the merged pages'.
        if survivor.id != target:
            _move(conn, t, survivor, target, new_url, keep=True)
            report.moved += 1
        for page in members:
            if page is not survivor:
                _move(conn, t, page, target, new_url, keep=False)
                report.merged += 1
        if len(members) > 1 or survivor.id != target or holder is not None:
            conn.execute(
                update(t.analyses).where(t.analyses.c.doc_id == target).values(analysed_at=datetime.now(UTC))
            )
    log.info("page ids re-keyed moved=%d merged=%d", report.moved, report.merged)
    return report
