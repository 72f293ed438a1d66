"""Page repository: idempotent upsert by canonical URL, look-ups for incremental crawling, export."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.domain import Page
from core.errors import StorageError
from core.ids import make_page_id
from core.inputs import cap_text
from core.storage.tables.crawl import CrawlRunRow, PageRow, SourceRow

log = logging.getLogger(__name__)

PAGE_FIELDS = (
    "url",
    "canonical_url",
    "title",
    "date",
    "author",
    "lang",
    "text",
    "source",
    "kind",
    "fetched_at",
    "content_hash",
    "simhash",
    "duplicate_of",
    "etag",
    "last_modified",
    "http_status",
    "js_rendered",
    "title_source",
    "date_source",
    "crawl_run_id",
)


@dataclass(frozen=True)
class KnownPage:
    """What incremental crawling needs to know about a stored page."""

    id: str
    url: str | None
    content_hash: str | None
    simhash: str | None
    etag: str | None
    last_modified: str | None
    crawl_run_id: int | None


def row_to_page(row: PageRow) -> Page:
    """The domain view of a stored page."""
    return Page(
        id=row.id,
        url=row.url,
        canonical_url=row.canonical_url,
        title=row.title,
        text=row.text or "",
        date=row.date,
        author=row.author,
        lang=row.lang,
        source=row.source,
        kind=row.kind,
        fetched_at=row.fetched_at,
        content_hash=row.content_hash,
        duplicate_of=row.duplicate_of,
        etag=row.etag,
        last_modified=row.last_modified,
        js_rendered=bool(row.js_rendered),
        title_source=row.title_source,
        date_source=row.date_source,
    )


class PageRepository:
    """Reads and writes pages; every write is an upsert keyed by canonical URL (id = hash of it)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def upsert(self, fields: dict[str, Any]) -> tuple[str, bool]:
        """Insert or update one page from ``fields`` (needs ``canonical_url``); return (id, created)."""
        canonical = fields.get("canonical_url")
        if not canonical:
            raise StorageError("a page needs a canonical_url to be stored", hint="canonicalise the URL first")
        page_id = make_page_id(str(canonical))
        try:
            with self.factory() as session, session.begin():
                row = session.get(PageRow, page_id)
                created = row is None
                if row is None:
                    row = PageRow(id=page_id)
                    session.add(row)
                for name in PAGE_FIELDS:
                    if name in fields:
                        setattr(row, name, fields[name])
                if isinstance(row.text, str):
                    row.text = cap_text(row.text)  # the documented cap (core.inputs.MAX_TEXT_CHARS)
                if row.fetched_at is None:
                    row.fetched_at = datetime.now(UTC)
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot store page {canonical}: {exc}", hint="check the database") from exc
        return page_id, created

    def touch(self, page_id: str, **fields: Any) -> None:
        """Update a few fields of a stored page (e.g. validators after a 304)."""
        with self.factory() as session, session.begin():
            row = session.get(PageRow, page_id)
            if row is not None:
                for name, value in fields.items():
                    setattr(row, name, value)

    def known_pages(self, source: str | None = None) -> dict[str, KnownPage]:
        """Stored pages by canonical URL (of one source, or all) for conditional re-crawls."""
        query = select(
            PageRow.id,
            PageRow.canonical_url,
            PageRow.url,
            PageRow.content_hash,
            PageRow.simhash,
            PageRow.etag,
            PageRow.last_modified,
            PageRow.crawl_run_id,
        )
        if source is not None:
            query = query.where(PageRow.source == source)
        with self.factory() as session:
            return {
                r.canonical_url: KnownPage(
                    r.id, r.url, r.content_hash, r.simhash, r.etag, r.last_modified, r.crawl_run_id
                )
                for r in session.execute(query)
                if r.canonical_url
            }

    def find_by_hash(self, content_hash: str) -> str | None:
        """The id of the first page (oldest) holding exactly this content, if any."""
        with self.factory() as session:
            return session.scalars(
                select(PageRow.id).where(PageRow.content_hash == content_hash).order_by(PageRow.fetched_at)
            ).first()

    def iter_simhashes(self) -> Iterator[tuple[str, str]]:
        """(id, simhash) of every original (non-duplicate) page, for near-duplicate detection."""
        with self.factory() as session:
            query = select(PageRow.id, PageRow.simhash).where(
                PageRow.simhash.is_not(None), PageRow.duplicate_of.is_(None)
            )
            for page_id, simhash in session.execute(query):
                if simhash:
                    yield page_id, simhash

    def count(self, source: str | None = None) -> int:
        """Number of stored pages (of one source, or all)."""
        query = select(func.count()).select_from(PageRow)
        if source is not None:
            query = query.where(PageRow.source == source)
        with self.factory() as session:
            return int(session.scalar(query) or 0)

    def iter_pages(self, source: str | None = None, batch: int = 500) -> Iterator[Page]:
        """Every stored page, oldest first, streamed in batches."""
        query = select(PageRow).order_by(PageRow.fetched_at, PageRow.id)
        if source is not None:
            query = query.where(PageRow.source == source)
        with self.factory() as session:
            for row in session.scalars(query.execution_options(yield_per=batch)):
                yield row_to_page(row)


class SourceRepository:
    """Keeps the ``sources`` table in step with the sources crawled (id, kind, name, configuration)."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def upsert(self, source_id: str, kind: str, name: str | None, config: dict[str, Any]) -> None:
        """Insert or update one source row."""
        with self.factory() as session, session.begin():
            row = session.get(SourceRow, source_id)
            if row is None:
                session.add(SourceRow(id=source_id, kind=kind, name=name, config=config))
            else:
                row.kind, row.name, row.config = kind, name, config


class CrawlRunRepository:
    """Creates and closes ``crawl_runs`` rows with their counters."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def start(self, source_id: str | None, stats: dict[str, Any] | None = None) -> int:
        """Open a run (status ``running``) and return its id."""
        with self.factory() as session, session.begin():
            row = CrawlRunRow(source_id=source_id, status="running", stats=stats or {})
            session.add(row)
            session.flush()
            return int(row.id)

    def finish(self, run_id: int, status: str, stats: dict[str, Any]) -> None:
        """Close a run with its final status and counters."""
        with self.factory() as session, session.begin():
            row = session.get(CrawlRunRow, run_id)
            if row is None:
                raise StorageError(f"crawl run {run_id} not found", hint="was the database reset mid-crawl?")
            row.status = status
            row.stats = dict(stats)
            row.finished_at = datetime.now(UTC)

    def get(self, run_id: int) -> CrawlRunRow | None:
        """One run row."""
        with self.factory() as session:
            return session.get(CrawlRunRow, run_id)
