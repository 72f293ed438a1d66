"""Per-stage counters and timings kept in the database, exposed through prometheus_client.

The watch process writes them; the API process reads them: the database is the only thing
both share in a deployment, so metrics live there rather than in process memory, and a custom
collector reads them at scrape time (with the serving process's own process and GC metrics).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import StorageError
from core.storage.base import utcnow
from core.storage.tables.analysis import AnalysisRow
from core.storage.tables.crawl import PageRow
from core.storage.tables.ops import MetricRow, WatchStateRow

log = logging.getLogger(__name__)

# name -> (type, help). A summary is stored as its `_sum` and `_count` rows. Unknown names are still
# exposed, untyped.
METRICS: dict[str, tuple[str, str]] = {
    "vigie_stage_runs_total": ("counter", "Stage runs started by vigie watch, by stage and outcome."),
    "vigie_stage_seconds": ("summary", "Wall time of the stage runs of vigie watch, in seconds."),
    "vigie_stage_errors_total": ("counter", "Failed stage runs, by stage."),
    "vigie_pages_fetched_total": ("counter", "New pages stored by crawls, by source."),
    "vigie_pages_analysed_total": ("counter", "Pages given an analysis by the analyze stage."),
    "vigie_pages_indexed_total": ("counter", "Documents written to the search index."),
    "vigie_watch_cycles_total": ("counter", "Scheduling cycles completed by vigie watch."),
    "vigie_pages": ("gauge", "Pages in the system of record."),
    "vigie_analysis_queue": ("gauge", "Pages waiting for an analysis."),
    "vigie_sources_due": ("gauge", "Sources whose next watch run is due."),
    "vigie_sources_failing": ("gauge", "Sources whose last watch run failed."),
}


@dataclass(frozen=True)
class Sample:
    """One metric value with its labels."""

    name: str
    labels: Mapping[str, str]
    value: float
    kind: str = "counter"


def format_labels(labels: Mapping[str, str]) -> str:
    """Canonical Prometheus label text: sorted keys, escaped values, no braces."""
    parts = []
    for key in sorted(labels):
        value = str(labels[key]).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        parts.append(f'{key}="{value}"')
    return ",".join(parts)


def parse_labels(text: str) -> dict[str, str]:
    """Inverse of `format_labels` for the values it writes."""
    labels: dict[str, str] = {}
    rest = text
    while rest:
        key, _, rest = rest.partition('="')
        value_chars: list[str] = []
        i = 0
        while i < len(rest) and rest[i] != '"':
            if rest[i] == "\\" and i + 1 < len(rest):
                i += 1
                value_chars.append({"n": "\n"}.get(rest[i], rest[i]))
            else:
                value_chars.append(rest[i])
            i += 1
        labels[key] = "".join(value_chars)
        rest = rest[i + 1 :].removeprefix(",")
    return labels


class MetricsStore:
    """Counters and gauges persisted in the `ops_metrics` table, safe with several writers."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        """Add ``value`` to a counter (created at zero the first time)."""
        self._write(name, value, format_labels(labels), kind="counter", add=True)

    def set_gauge(self, name: str, value: float, **labels: str) -> None:
        """Set a gauge to ``value``."""
        self._write(name, value, format_labels(labels), kind="gauge", add=False)

    def observe_stage(self, stage: str, seconds: float, ok: bool) -> None:
        """Record one stage run: outcome counter, timing sum and count, error counter."""
        status = "ok" if ok else "failed"
        self.inc("vigie_stage_runs_total", stage=stage, status=status)
        self.inc("vigie_stage_seconds_sum", seconds, stage=stage)
        self.inc("vigie_stage_seconds_count", stage=stage)
        if not ok:
            self.inc("vigie_stage_errors_total", stage=stage)

    @contextmanager
    def time_stage(self, stage: str) -> Iterator[None]:
        """Time a block as one run of ``stage``; an exception counts as a failed run."""
        start = time.perf_counter()
        ok = False
        try:
            yield
            ok = True
        finally:
            self.observe_stage(stage, time.perf_counter() - start, ok)

    def samples(self) -> list[Sample]:
        """Every stored sample, sorted by name then labels."""
        try:
            with self.session_factory() as session:
                rows = session.scalars(select(MetricRow).order_by(MetricRow.name, MetricRow.labels)).all()
        except SQLAlchemyError as exc:
            raise StorageError(
                f"cannot read metrics: {exc}", hint="run `vigie watch` once so the schema is migrated"
            ) from exc
        return [Sample(r.name, parse_labels(r.labels), r.value, r.kind) for r in rows]

    def get(self, name: str, **labels: str) -> float:
        """The current value of one sample (0.0 if never written)."""
        with self.session_factory() as session:
            row = session.get(MetricRow, {"name": name, "labels": format_labels(labels)})
        return row.value if row else 0.0

    def _write(self, name: str, value: float, labels: str, *, kind: str, add: bool) -> None:
        new_value = MetricRow.value + value if add else value
        stmt = (
            update(MetricRow)
            .where(MetricRow.name == name, MetricRow.labels == labels)
            .values(value=new_value, updated_at=utcnow())
        )
        try:
            for _attempt in range(3):
                with self.session_factory() as session:
                    if session.execute(stmt).rowcount:  # type: ignore[attr-defined]  # CursorResult
                        session.commit()
                        return
                    session.add(MetricRow(name=name, labels=labels, kind=kind, value=value))
                    try:
                        session.commit()
                        return
                    except IntegrityError:
                        session.rollback()  # another writer created it first: add to theirs
        except SQLAlchemyError as exc:
            raise StorageError(f"cannot write metric {name}: {exc}", hint="check the database") from exc
        log.warning("metric write lost after retries name=%s labels=%s", name, labels)


def count_analysis_queue(session: Session) -> int:
    """Pages that have no current analysis (the work waiting for `vigie analyze`)."""
    query = (
        select(func.count())
        .select_from(PageRow)
        .outerjoin(AnalysisRow, AnalysisRow.doc_id == PageRow.id)
        .where(AnalysisRow.doc_id.is_(None))
    )
    return int(session.scalar(query) or 0)


def live_gauges(session_factory: sessionmaker[Session], now: datetime | None = None) -> list[Sample]:
    """Gauges read from the system of record at call time: pages, analysis queue, due and failing sources."""
    now = now or datetime.now(UTC)
    sources = WatchStateRow.source_id.not_like("stage:%")
    with session_factory() as session:
        pages = int(session.scalar(select(func.count()).select_from(PageRow)) or 0)
        queue = count_analysis_queue(session)
        due = session.scalar(
            select(func.count())
            .select_from(WatchStateRow)
            .where(sources, or_(WatchStateRow.next_run_at.is_(None), WatchStateRow.next_run_at <= now))
        )
        failing = session.scalar(
            select(func.count())
            .select_from(WatchStateRow)
            .where(sources, WatchStateRow.consecutive_failures > 0)
        )
    return [
        Sample("vigie_pages", {}, float(pages), "gauge"),
        Sample("vigie_analysis_queue", {}, float(queue), "gauge"),
        Sample("vigie_sources_due", {}, float(due or 0), "gauge"),
        Sample("vigie_sources_failing", {}, float(failing or 0), "gauge"),
    ]


def read_samples(session_factory: sessionmaker[Session]) -> list[Sample]:
    """Stored counters and live gauges (a live gauge wins over a stored sample of the same name)."""
    live = live_gauges(session_factory)
    names = {g.name for g in live}
    return [s for s in MetricsStore(session_factory).samples() if s.name not in names] + live


def _family_of(name: str) -> tuple[str, str, str]:
    """(family name, type, help) of a stored sample name."""
    for suffix in ("_sum", "_count"):
        base = name.removesuffix(suffix)
        if base != name and METRICS.get(base, ("",))[0] == "summary":
            return base, "summary", METRICS[base][1]
    kind, help_text = METRICS.get(name, ("unknown", name))
    return (name.removesuffix("_total") if kind == "counter" else name), kind, help_text


def make_metric_families(samples: Iterable[Sample]) -> list[Metric]:
    """prometheus_client families of ``samples``: one HELP/TYPE per family, series sorted by labels."""
    families: dict[str, Metric] = {}
    ordered = sorted(samples, key=lambda s: (s.name, format_labels(s.labels)))
    for sample in ordered:
        family, kind, help_text = _family_of(sample.name)
        metric = families.setdefault(family, Metric(family, help_text, kind))
        metric.add_sample(sample.name, dict(sample.labels), sample.value)
    return [families[name] for name in sorted(families)]


class StoreCollector(Collector):
    """A prometheus_client collector that reads the samples at each scrape (from the database)."""

    def __init__(self, read: Callable[[], Iterable[Sample]]) -> None:
        self.read = read

    def collect(self) -> Iterator[Metric]:
        """The families of what ``read`` returns now."""
        yield from make_metric_families(self.read())


def render_prometheus(read: Callable[[], Iterable[Sample]], process_metrics: bool = True) -> str:
    """The Prometheus text exposition (0.0.4) of ``read()``, plus this process's metrics by default."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(read))
    if process_metrics:
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        GCCollector(registry=registry)
    return generate_latest(registry).decode("utf-8")
