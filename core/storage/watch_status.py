"""Read side of the watch tables for the status pages: states, recent runs and errors, pages per source."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from core.storage.tables.crawl import CrawlRunRow, PageRow
from core.storage.tables.ops import WatchRunRow, WatchStateRow


@dataclass
class WatchOverview:
    """What the status page shows, read in one session."""

    states: list[WatchStateRow]
    runs: list[WatchRunRow]
    errors: list[WatchRunRow]
    pages_by_source: dict[str | None, int]
    last_crawls: dict[str, CrawlRunRow] = field(default_factory=dict)  # source -> its latest crawl run


def read_watch_overview(factory: sessionmaker[Session], recent: int = 20) -> WatchOverview:
    """Watch states, the ``recent`` last runs and failed runs, pages and the latest crawl run per source."""
    with factory() as session:
        states = session.scalars(select(WatchStateRow).order_by(WatchStateRow.source_id)).all()
        runs = session.scalars(select(WatchRunRow).order_by(WatchRunRow.id.desc()).limit(recent)).all()
        errors = session.scalars(
            select(WatchRunRow)
            .where(WatchRunRow.status.in_(("failed", "interrupted")))
            .order_by(WatchRunRow.id.desc())
            .limit(recent)
        ).all()
        counts = session.execute(select(PageRow.source, func.count()).group_by(PageRow.source)).all()
        latest = (
            select(func.max(CrawlRunRow.id))
            .where(CrawlRunRow.source_id.is_not(None))
            .group_by(CrawlRunRow.source_id)
            .scalar_subquery()
        )
        crawls = session.scalars(select(CrawlRunRow).where(CrawlRunRow.id.in_(latest))).all()
    pages = {source: int(count) for source, count in counts}
    last_crawls = {str(r.source_id): r for r in crawls}
    return WatchOverview(list(states), list(runs), list(errors), pages, last_crawls)


def ping(factory: sessionmaker[Session]) -> None:
    """Run a trivial query; raises SQLAlchemy's error when the database is unreachable."""
    with factory() as session:
        session.execute(text("SELECT 1"))
