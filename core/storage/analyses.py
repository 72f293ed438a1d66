"""Analysis repository: which stored pages need analysing, their texts, and the analysis rows written."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.domain import Analysis
from core.errors import StorageError
from core.storage import outbox
from core.storage.tables import AnalysisRow, PageRow
from core.urls import url_host

log = logging.getLogger(__name__)
# Kinds of a host's pages from their hosts and stored doc-kind probabilities (`nlp.classifiers.host_kinds`).
HostKinds = Callable[[Sequence[str], Sequence[Mapping[str, float]]], list[str]]
HOST_RETRIES = 5


def text_hash(text: str) -> str:
    """Hash of the text an analysis was computed from (to re-analyse changed pages only)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def make_analysis_row(result: Analysis, hashed: str) -> AnalysisRow:
    """The one way an analysis becomes a row: its contract plus the columns the queues filter on."""
    return AnalysisRow(
        doc_id=result.id,
        result=result.to_contract(),
        is_initiative=result.is_initiative,
        initiative_score=result.initiative_score,
        in_qpv=result.in_qpv,
        doc_kind=result.doc_kind,
        model_version=result.model_version,
        text_hash=hashed,
    )


class AnalysisRepository:
    """Reads pages to analyse and upserts their analyses; each write is one transaction."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def ids_to_analyse(self, everything: bool) -> list[str]:
        """Ids of stored pages without a current analysis or whose text changed (all with ``everything``).

        Pages built by JavaScript (stored with ``js_rendered`` and no text) are left out: there is nothing to
        judge until a renderer fills them. Texts are streamed and hashed one at a time, so memory holds ids.
        """
        query = (
            select(PageRow.id, PageRow.text, AnalysisRow.text_hash)
            .outerjoin(AnalysisRow, AnalysisRow.doc_id == PageRow.id)
            .where(PageRow.js_rendered.is_(False))
        )
        with self.factory() as session:
            rows = session.execute(query.execution_options(yield_per=500))
            return [r[0] for r in rows if everything or r[2] is None or r[2] != text_hash(r[1] or "")]

    def read_items(self, ids: list[str]) -> list[dict[str, Any]]:
        """Analysis items (id, text, title, url) of the given stored pages, read in one session."""
        with self.factory() as session:
            pages = session.scalars(select(PageRow).where(PageRow.id.in_(ids))).all()
            return [{"id": p.id, "text": p.text or "", "title": p.title, "url": p.url} for p in pages]

    def save(self, analyses: Iterable[tuple[Analysis, str]]) -> None:
        """Upsert (analysis, text hash) pairs in one transaction."""
        rows = [make_analysis_row(result, hashed) for result, hashed in analyses]
        if not rows:
            return
        with self.factory() as session, session.begin():
            for row in sorted(rows, key=lambda r: r.doc_id):  # the host step's lock order: no deadlock
                session.merge(row)

    def save_imported(self, item: dict[str, Any], analysis: Analysis) -> bool:
        """Store an imported line's page (source "import") and its analysis together.

        False when the line has no text and no page of its id is stored (nothing to keep).
        """
        text = item.get("text") or ""
        with self.factory() as session, session.begin():
            page = session.get(PageRow, item["id"])
            if page is None and not text:
                return False
            page = page or PageRow(id=item["id"], source="import")
            page.text = text or page.text or ""
            page.title = item.get("title") or page.title
            page.url = item.get("url") or page.url
            page.date = item.get("date") or page.date
            page.content_hash = hashlib.sha256(page.text.encode()).hexdigest()
            session.add(page)
            session.merge(make_analysis_row(analysis, page.content_hash))
        return True

    def rekind_hosts(self, hosts: Iterable[str], kinds: HostKinds) -> int:
        """Recompute the document kind of every analysed page of each host; returns how many rows changed.

        ``kinds`` maps the pages' hosts and stored ``doc_kind_scores`` to their kinds; pages analysed before
        those scores were kept (or skipped ones) are left as they are and take no part. The result depends
        on the host's stored analyses only, never on which run analysed what first. Each host is one
        transaction that takes its lock before it reads (SQLite: ``BEGIN IMMEDIATE``, the database's write
        lock; PostgreSQL: a transaction advisory lock on the host, reads in READ COMMITTED start after it):
        host steps of two runs at once serialise, every run's step comes after its own pages are saved,
        so the last step reads every saved page and none writes kinds read before another's: no lost
        update. Only rows whose kind changes are written, and they join the index outbox.
        """
        changed = 0
        for host in sorted({h for h in hosts if h}):
            changed += self._rekind_host(host, kinds)
        return changed

    def _rekind_host(self, host: str, kinds: HostKinds) -> int:
        pattern = "%" + host.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = (
            select(AnalysisRow, PageRow.url)
            .join(PageRow, PageRow.id == AnalysisRow.doc_id)
            .where(func.lower(PageRow.url).like(pattern, escape="\\"))
            .order_by(AnalysisRow.doc_id)
        )
        for attempt in range(HOST_RETRIES):
            try:
                with self.factory() as session, session.begin():
                    dialect = session.get_bind().dialect.name
                    if dialect == "sqlite":  # the write lock now, before anything is read
                        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
                    elif dialect == "postgresql":  # one host step at a time; its reads start after the lock
                        session.execute(
                            select(func.pg_advisory_xact_lock(func.hashtext("vigie-host:" + host)))
                        )
                    rows = [
                        a
                        for a, url in session.execute(query).all()
                        if url_host(url) == host and a.result.get("doc_kind_scores")
                    ]
                    new = (
                        kinds([host] * len(rows), [a.result["doc_kind_scores"] for a in rows]) if rows else []
                    )
                    moved = [(a, k) for a, k in zip(rows, new, strict=True) if a.doc_kind != k]
                    for row, kind in moved:
                        row.doc_kind = kind
                        row.result = {**row.result, "doc_kind": kind}
                    outbox.enqueue(session, [a.doc_id for a, _ in moved])
                return len(moved)
            except OperationalError as exc:  # SQLite busy past its timeout: try the host again
                log.warning("host kinds retried host=%s attempt=%d: %s", host, attempt + 1, exc)
                time.sleep(0.1 * (attempt + 1))
        raise StorageError(
            f"document kinds of host {host!r} not recomputed after {HOST_RETRIES} attempts",
            hint="another process holds the database: run `vigie analyze` again when it is done",
        )
