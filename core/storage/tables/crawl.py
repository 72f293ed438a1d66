"""Tables of the crawl: sources, crawl runs and pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.storage.base import Base, utcnow


class SourceRow(Base):
    """A followed source (from sources.yaml, or ad hoc)."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str | None] = mapped_column(String(300))
    config: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CrawlRunRow(Base):
    """One crawl run and its counters."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_id: Mapped[str | None] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="running")
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PageRow(Base):
    """A crawled or imported document: the text every analysis starts from."""

    __tablename__ = "pages"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text, unique=True)
    title: Mapped[str | None] = mapped_column(Text)
    date: Mapped[str | None] = mapped_column(String(40))
    author: Mapped[str | None] = mapped_column(Text)
    lang: Mapped[str | None] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(String(100), index=True)
    kind: Mapped[str | None] = mapped_column(String(40))
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    simhash: Mapped[str | None] = mapped_column(String(20))
    duplicate_of: Mapped[str | None] = mapped_column(String(64), index=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    js_rendered: Mapped[bool] = mapped_column(Boolean, default=False)
    title_source: Mapped[str | None] = mapped_column(String(20))
    date_source: Mapped[str | None] = mapped_column(String(20))
    crawl_run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class PageIdMoveRow(Base):
    """A page whose id changed with the canonicalisation rule (migration 0008), and what a merge set aside.

    ``merged`` holds, for a page merged into another one with the same canonical URL, the rows that could
    not be kept side by side (the page itself, its analysis or review when the survivor had its own), so
    that nothing is lost. ``unindexed_at`` is set once the old id is removed from the search index.
    """

    __tablename__ = "page_id_moves"

    old_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    new_id: Mapped[str] = mapped_column(String(64), index=True)
    old_canonical_url: Mapped[str | None] = mapped_column(Text)
    merged: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    unindexed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
