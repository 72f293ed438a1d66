"""What `vigie watch` keeps in the database: per-source state and leases, the log of stage runs.

Every decision of the watch is derived from these rows, so a restarted (or SIGKILLed) watch
picks up exactly where the database says it was.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.metrics import count_analysis_queue
from core.storage.tables.analysis import AnalysisRow
from core.storage.tables.crawl import PageRow
from core.storage.tables.ops import WatchRunRow, WatchStateRow

log = logging.getLogger(__name__)
# Watch-state rows of the global stages (one lease each, shared by all workers).
STAGE_KEYS = {"analyze": "stage:analyze", "index": "stage:index", "alerts": "stage:alerts"}


def now_utc() -> datetime:
    """Timezone-aware now."""
    return datetime.now(UTC)


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: read them as UTC."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class WatchStore:
    """Reads and writes watch state; every method is one short transaction."""

    def __init__(self, factory: sessionmaker[Session], worker: str) -> None:
        self.factory = factory
        self.worker = worker

    def recover(self, abandoned_after: timedelta | None = None) -> int:
        """After a restart: close this worker's runs left `running` and free its leases.

        With ``abandoned_after``, runs of any worker started longer ago than that (their worker died
        and never came back; their lease has expired) are closed too.
        """
        now = now_utc()
        mine = WatchRunRow.worker == self.worker
        if abandoned_after is not None:
            mine = or_(mine, WatchRunRow.started_at < now - abandoned_after)
        with self.factory() as session, session.begin():
            closed = session.execute(
                update(WatchRunRow)
                .where(mine, WatchRunRow.status == "running")
                .values(status="interrupted", finished_at=now, error="worker stopped before the end")
            ).rowcount  # type: ignore[attr-defined]  # CursorResult
            session.execute(
                update(WatchStateRow)
                .where(WatchStateRow.lease_owner == self.worker)
                .values(lease_owner=None, lease_until=None)
            )
        if closed:
            log.warning("recovered interrupted runs worker=%s count=%d", self.worker, closed)
        return int(closed)

    def ensure_sources(self, source_ids: list[str]) -> None:
        """Create a state row (due now) for each source not seen before."""
        with self.factory() as session:
            known = set(session.scalars(select(WatchStateRow.source_id)))
        for source_id in source_ids:
            if source_id in known:
                continue
            try:
                with self.factory() as session, session.begin():
                    session.add(WatchStateRow(source_id=source_id, consecutive_failures=0))
            except IntegrityError:
                pass  # another worker created it at the same moment

    def due_sources(self, source_ids: list[str], now: datetime) -> list[str]:
        """Sources of ``source_ids`` whose next run is due and whose lease is free, most overdue first."""
        with self.factory() as session:
            rows = session.scalars(select(WatchStateRow).where(WatchStateRow.source_id.in_(source_ids))).all()
        due = [
            r
            for r in rows
            if (as_utc(r.next_run_at) or now) <= now
            and (r.lease_owner is None or as_utc(r.lease_until) < now)  # type: ignore[operator]
        ]
        due.sort(key=lambda r: (as_utc(r.next_run_at) or datetime.min.replace(tzinfo=UTC), r.source_id))
        return [r.source_id for r in due]

    def claim(self, key: str, lease: timedelta) -> bool:
        """Take the lease on ``key`` (a source id or a stage key) if free or expired; atomic."""
        now = now_utc()
        self.ensure_sources([key])
        with self.factory() as session, session.begin():
            taken = session.execute(
                update(WatchStateRow)
                .where(
                    WatchStateRow.source_id == key,
                    or_(
                        WatchStateRow.lease_owner.is_(None),
                        WatchStateRow.lease_owner == self.worker,
                        WatchStateRow.lease_until < now,
                    ),
                )
                .values(lease_owner=self.worker, lease_until=now + lease)
            ).rowcount  # type: ignore[attr-defined]  # CursorResult
        return bool(taken)

    def renew(self, key: str, lease: timedelta) -> bool:
        """Extend this worker's lease on ``key``; False if the lease is no longer ours."""
        with self.factory() as session, session.begin():
            kept = session.execute(
                update(WatchStateRow)
                .where(WatchStateRow.source_id == key, WatchStateRow.lease_owner == self.worker)
                .values(lease_until=now_utc() + lease)
            ).rowcount  # type: ignore[attr-defined]  # CursorResult
        return bool(kept)

    def release(self, key: str, *, ok: bool, next_run_at: datetime | None, error: str | None) -> None:
        """Free the lease and record the outcome (failures reset on success, counted otherwise)."""
        with self.factory() as session, session.begin():
            row = session.get(WatchStateRow, key)
            if row is None:
                return
            row.last_run_at = now_utc()
            row.next_run_at = next_run_at
            row.last_status = "ok" if ok else "failed"
            row.last_error = None if ok else (error or "failed")[:4000]
            row.consecutive_failures = 0 if ok else (row.consecutive_failures or 0) + 1
            row.lease_owner = None
            row.lease_until = None

    def free_lease(self, key: str) -> None:
        """Give the lease on ``key`` back without recording an outcome (the run was interrupted)."""
        with self.factory() as session, session.begin():
            session.execute(
                update(WatchStateRow)
                .where(WatchStateRow.source_id == key, WatchStateRow.lease_owner == self.worker)
                .values(lease_owner=None, lease_until=None)
            )

    def failures(self, key: str) -> int:
        """Consecutive failures recorded for ``key``."""
        with self.factory() as session:
            row = session.get(WatchStateRow, key)
        return int(row.consecutive_failures or 0) if row else 0

    def start_run(self, stage: str, source_id: str | None) -> int:
        """Log the start of a stage run; return its id."""
        with self.factory() as session, session.begin():
            row = WatchRunRow(
                stage=stage, source_id=source_id, worker=self.worker, status="running", counts={}
            )
            session.add(row)
            session.flush()
            return int(row.id)

    def finish_run(
        self, run_id: int, *, status: str, exit_code: int | None, error: str | None, counts: dict[str, Any]
    ) -> None:
        """Close a stage run with its outcome and counters."""
        with self.factory() as session, session.begin():
            row = session.get(WatchRunRow, run_id)
            if row is not None:
                row.status = status
                row.exit_code = exit_code
                row.error = error[:4000] if error else None
                row.counts = counts
                row.finished_at = now_utc()

    def last_ok_run(self, stage: str) -> WatchRunRow | None:
        """The latest successful run of a stage, if any."""
        with self.factory() as session:
            return session.scalars(
                select(WatchRunRow)
                .where(WatchRunRow.stage == stage, WatchRunRow.status == "ok")
                .order_by(WatchRunRow.id.desc())
                .limit(1)
            ).first()

    def count_pages(self, source_id: str | None = None, changed_since: datetime | None = None) -> int:
        """Stored pages (of one source, or all; written at or after ``changed_since`` if given)."""
        query = select(func.count()).select_from(PageRow)
        if source_id is not None:
            query = query.where(PageRow.source == source_id)
        if changed_since is not None:
            query = query.where(PageRow.updated_at >= changed_since)
        with self.factory() as session:
            return int(session.scalar(query) or 0)

    def analysis_queue(self) -> int:
        """Pages that have no current analysis."""
        with self.factory() as session:
            return count_analysis_queue(session)

    def count_analyses(self, since: datetime | None = None) -> int:
        """Stored analyses (written at or after ``since``, if given)."""
        query = select(func.count()).select_from(AnalysisRow)
        if since is not None:
            query = query.where(AnalysisRow.analysed_at >= since)
        with self.factory() as session:
            return int(session.scalar(query) or 0)

    def latest_analysis_at(self) -> datetime | None:
        """When the newest analysis was written."""
        with self.factory() as session:
            return as_utc(session.scalar(select(func.max(AnalysisRow.analysed_at))))
