"""Operations API: health (public), watch status and Prometheus metrics (viewer role and above)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import StorageError
from core.metrics import live_gauges, read_samples, render_prometheus
from core.storage.tables.crawl import CrawlRunRow
from core.storage.tables.ops import WatchRunRow, WatchStateRow
from core.storage.watch_status import ping, read_watch_overview
from search_api.app.auth import require_role
from search_api.app.dependencies import Viewer, get_services
from search_api.app.routes.rendering import render

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops"])
PROMETHEUS_TYPE = CONTENT_TYPE_PLAIN_0_0_4  # what generate_latest writes
STAGE_PREFIX = "stage:"


def _factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = get_services(request).session_factory
    return factory


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def _run_view(row: WatchRunRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "stage": row.stage,
        "source_id": row.source_id,
        "worker": row.worker,
        "status": row.status,
        "started_at": _iso(row.started_at),
        "finished_at": _iso(row.finished_at),
        "exit_code": row.exit_code,
        "error": row.error,
        "counts": row.counts,
    }


def _state_view(row: WatchStateRow, now: datetime) -> dict[str, Any]:
    lease_until = (
        row.lease_until.replace(tzinfo=UTC) if row.lease_until and not row.lease_until.tzinfo else None
    )
    lease_until = lease_until or row.lease_until
    return {
        "source_id": row.source_id.removeprefix(STAGE_PREFIX),
        "last_run_at": _iso(row.last_run_at),
        "next_run_at": _iso(row.next_run_at),
        "last_status": row.last_status,
        "consecutive_failures": row.consecutive_failures,
        "last_error": row.last_error,
        "running": bool(row.lease_owner and lease_until and lease_until > now),
        "worker": row.lease_owner,
    }


def _crawl_view(row: CrawlRunRow | None) -> dict[str, Any]:
    """The latest crawl run of a source (`vigie crawl` or the watch), from the crawl store."""
    if row is None:
        return {
            "last_crawl_at": None,
            "last_crawl_status": None,
            "last_crawl_new": None,
            "last_crawl_errors": None,
        }
    stats = row.stats or {}
    counts = stats.get("counts") or {}
    return {
        "last_crawl_at": _iso(row.finished_at or row.started_at),
        "last_crawl_status": row.status,
        "last_crawl_new": counts.get("new"),
        "last_crawl_errors": stats.get("errors_total"),
    }


def _never_watched(source_id: str) -> dict[str, Any]:
    """A source crawled outside `vigie watch` (e.g. by `vigie crawl`): no schedule, no lease."""
    return {
        "source_id": source_id,
        "last_run_at": None,
        "next_run_at": None,
        "last_status": None,
        "consecutive_failures": 0,
        "last_error": None,
        "running": False,
        "worker": None,
    }


def get_status(factory: sessionmaker[Session], recent: int = 20) -> dict[str, Any]:
    """Last run per source, global stages, recent errors and queue sizes, as one JSON-able dict."""
    now = datetime.now(UTC)
    overview = read_watch_overview(factory, recent)
    states, runs, errors, pages = overview.states, overview.runs, overview.errors, overview.pages_by_source
    gauges = {g.name.removeprefix("vigie_"): int(g.value) for g in live_gauges(factory, now)}
    crawls = overview.last_crawls
    watched = [_state_view(s, now) for s in states if not s.source_id.startswith(STAGE_PREFIX)]
    known = {s["source_id"] for s in watched}
    views = watched + [_never_watched(source) for source in sorted(set(crawls) - known)]
    sources = [
        {**view, "pages": int(pages.get(view["source_id"], 0)), **_crawl_view(crawls.get(view["source_id"]))}
        for view in views
    ]
    sources.sort(key=lambda s: str(s["source_id"]))
    return {
        "generated_at": now.isoformat(),
        "sources": sources,
        "stages": [_state_view(s, now) for s in states if s.source_id.startswith(STAGE_PREFIX)],
        "queues": gauges,
        "recent_runs": [_run_view(r) for r in runs],
        "errors": [_run_view(r) for r in errors],
    }


@router.get("/api/health")
def health(request: Request) -> JSONResponse:
    """Liveness and database reachability (public: used by container health checks)."""
    try:
        ping(_factory(request))
    except SQLAlchemyError as exc:
        log.error("health check failed error=%s", exc.__class__.__name__)
        return JSONResponse({"status": "error", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/api/status", dependencies=[Depends(require_role("viewer"))])
def status(request: Request) -> dict[str, Any]:
    """What `vigie watch` did: last run per source, stage runs, recent errors, queue sizes."""
    try:
        return get_status(_factory(request))
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the watch status: {exc}", hint="check the database") from exc


@router.get("/api/metrics", dependencies=[Depends(require_role("viewer"))], response_class=PlainTextResponse)
def metrics(request: Request) -> PlainTextResponse:
    """Stage counters, stage seconds (a summary), live gauges and this process's metrics (Prometheus)."""
    factory = _factory(request)
    try:
        samples = read_samples(factory)  # read before rendering, so a database error is ours to report
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read metrics: {exc}", hint="check the database") from exc
    return PlainTextResponse(render_prometheus(lambda: samples), media_type=PROMETHEUS_TYPE)


@router.get("/etat", response_class=HTMLResponse)
def status_page(request: Request, _user: Viewer) -> HTMLResponse:
    """The watch's state in the web UI: last run per source, failing sources, stage runs, queues."""
    try:
        state = get_status(_factory(request))
    except SQLAlchemyError as exc:
        raise StorageError(f"cannot read the watch status: {exc}", hint="check the database") from exc
    return render(request, "status.html", {"state": state})
