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
HOST_BATCH = 100  # hosts per transaction of the host step (each reads the analysed pages' URLs once)


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
        on the host's stored analyses only, never on which run analysed what first. Hosts go
        ``HOST_BATCH`` at a time, each batch one transaction that takes its locks before it reads
        (SQLite: ``BEGIN IMMEDIATE``, the database's write lock; PostgreSQL: a transaction advisory lock
        per host, in sorted order, and READ COMMITTED reads that start after them): the steps of two runs
        at once serialise on a shared host, every run's step comes after its own pages are saved, so the
        last step reads every saved page and none writes kinds read before another's: no lost update.
        Only rows whose kind changes are written, and they join the index outbox.
        """
        todo = sorted({h for h in hosts if h})
        changed = 0
        for start in range(0, len(todo), HOST_BATCH):
            changed += self._rekind_batch(todo[start : start + HOST_BATCH], kinds)
        return changed

    def _rekind_batch(self, hosts: list[str], kinds: HostKinds) -> int:
        wanted = set(hosts)
        for attempt in range(HOST_RETRIES):
            try:
                with self.factory() as session, session.begin():
                    dialect = session.get_bind().dialect.name
                    if dialect == "sqlite":  # the write lock now, before anything is read
                        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
                    elif dialect == "postgresql":  # one step per host at a time; reads start after the locks
                        for host in hosts:
                            lock = func.pg_advisory_xact_lock(func.hashtext("vigie-host:" + host))
                            session.execute(select(lock))
                    return self._rekind_locked(session, wanted, kinds)
            except OperationalError as exc:  # SQLite busy past its timeout: try the batch again
                log.warning("host kinds retried hosts=%d attempt=%d: %s", len(hosts), attempt + 1, exc)
                time.sleep(0.1 * (attempt + 1))
        raise StorageError(
            f"document kinds of {len(hosts)} hosts not recomputed after {HOST_RETRIES} attempts",
            hint="another process holds the database: run `vigie analyze` again when it is done",
        )

    @staticmethod
    def _rekind_locked(session: Session, wanted: set[str], kinds: HostKinds) -> int:
        """The host step inside its transaction: one pass over the analysed pages' URLs, then the hosts'."""
        by_host: dict[str, list[str]] = {}
        urls = select(PageRow.id, PageRow.url).join(AnalysisRow, AnalysisRow.doc_id == PageRow.id)
        for doc_id, url in session.execute(urls.execution_options(yield_per=2000)):
            host = url_host(url)
            if host in wanted:
                by_host.setdefault(host, []).append(doc_id)
        changed: list[str] = []
        for host in sorted(by_host):
            ids = sorted(by_host[host])
            rows = [
                row
                for start in range(0, len(ids), 500)
                for row in session.scalars(
                    select(AnalysisRow)
                    .where(AnalysisRow.doc_id.in_(ids[start : start + 500]))
                    .order_by(AnalysisRow.doc_id)
                )
                if row.result.get("doc_kind_scores")
            ]
            if not rows:
                continue
            new = kinds([host] * len(rows), [row.result["doc_kind_scores"] for row in rows])
            for row, kind in zip(rows, new, strict=True):
                if row.doc_kind != kind:
                    row.doc_kind = kind
                    row.result = {**row.result, "doc_kind": kind}
                    changed.append(row.doc_id)
        outbox.enqueue(session, changed)
        return len(changed)
