"""Tables of scheduled operation: per-source watch state, the log of stage runs, persisted metrics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.base import Base, utcnow


class WatchStateRow(Base):
    """Last run, next run, failures and current lease of one source under `vigie watch`."""

    __tablename__ = "watch_state"

    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_status: Mapped[str | None] = mapped_column(String(20))
    # A worker owns a source while it crawls it; an expired lease can be taken over by another.
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WatchRunRow(Base):
    """One stage run (crawl of a source, analysis or indexing) started by `vigie watch`."""

    __tablename__ = "watch_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str | None] = mapped_column(String(100), index=True)
    stage: Mapped[str] = mapped_column(String(20), index=True)
    worker: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="running", index=True)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MetricRow(Base):
    """One persisted metric sample, so the API process can show what the watch process did."""

    __tablename__ = "ops_metrics"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    # Canonical Prometheus label set, e.g. 'stage="crawl",status="ok"' ('' when unlabelled).
    labels: Mapped[str] = mapped_column(String(300), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="counter")
    value: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
