"""`vigie watch`: crawl each source on its schedule, then analyse and index what is new.

Each stage runs as a subprocess (`python -m vigie crawl|analyze|index`): a Twisted reactor cannot
restart in-process, and a stage that crashes or leaks cannot take the watch down with it. Every
decision is derived from the database (watch_state, watch_runs, pages, analyses) and every stage
command is idempotent, so a watch restarted after a crash or SIGKILL neither loses nor repeats work.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConfigError, VigieError
from core.metrics import MetricsStore
from core.settings import PROJECT_ROOT
from vigie.ops.schedule import backoff_delay, next_run_after
from vigie.ops.stage_runner import StageOutcome, StageRunner, crawl_outcome, touch
from vigie.ops.watch_store import STAGE_KEYS, WatchStore, as_utc, now_utc

log = logging.getLogger(__name__)
DEFAULT_CATALOGUE = PROJECT_ROOT / "sources" / "catalogue.yaml"


@dataclass
class WatchConfig:
    """Knobs of the watch loop."""

    sources_file: Path = DEFAULT_CATALOGUE
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}")
    poll_s: float = 60.0
    backoff_base_s: float = 300.0
    backoff_cap_s: float = 6 * 3600.0
    stage_timeout_s: float = 3 * 3600.0
    # A lease on a source or stage lasts this long and is renewed every third of it while the stage
    # runs: a worker that dies for good frees its sources after at most this delay.
    lease_s: float = 600.0
    only: tuple[str, ...] = ()
    python: str = sys.executable
    # Touched while the watch is alive (between cycles and during stages): container health checks.
    heartbeat: Path | None = None
    # During a long crawl phase, analyse and index what is new at least this often (seconds).
    pipeline_every_s: float = 1800.0


@dataclass
class CycleReport:
    """What one watch cycle did."""

    crawled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    analysed: bool = False
    indexed: bool = False
    alerted: bool = False
    stopped: bool = False


class Watcher:
    """The watch loop of one worker; several workers can share one database (leases)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        config: WatchConfig,
        load_sources: Callable[[Path], list[Any]],
    ) -> None:
        self.config = config
        self.store = WatchStore(session_factory, config.worker)
        self.metrics = MetricsStore(session_factory)
        self.stop = threading.Event()
        self.runner = StageRunner(config.python, config.stage_timeout_s, self.stop, config.heartbeat)
        self._load_sources = load_sources
        self._sources: dict[str, Any] = {}

    def load_catalogue(self) -> dict[str, Any]:
        """(Re)read the catalogue; keep the previous one if the file became invalid."""
        try:
            sources = {s.id: s for s in self._load_sources(self.config.sources_file)}
        except ConfigError:
            if not self._sources:
                raise
            log.exception("catalogue invalid, keeping the previous one file=%s", self.config.sources_file)
            return self._sources
        if self.config.only:
            unknown = sorted(set(self.config.only) - set(sources))
            if unknown:
                raise ConfigError(
                    f"unknown source id(s) {', '.join(unknown)} in {self.config.sources_file}",
                    hint="list the ids with `vigie sources check FILE`",
                )
            sources = {k: v for k, v in sources.items() if k in self.config.only}
        self._sources = sources
        self.store.ensure_sources(sorted(sources))
        return sources

    def run_cycle(self) -> CycleReport:
        """One pass: crawl every due source, then analyse and index if there is new work."""
        report = CycleReport()
        sources = self.load_catalogue()
        last_pipeline = time.monotonic()
        for source_id in self.store.due_sources(sorted(sources), now_utc()):
            if self.stop.is_set():
                report.stopped = True
                return report
            ok = self._crawl(sources[source_id])
            if ok is not None:
                (report.crawled if ok else report.failed).append(source_id)
            if time.monotonic() - last_pipeline >= self.config.pipeline_every_s and not self.stop.is_set():
                # A long crawl phase: new pages should not wait for the last source of the cycle.
                report.analysed = self._analyze() or report.analysed
                if not self.stop.is_set():
                    report.indexed = self._index() or report.indexed
                last_pipeline = time.monotonic()
        if not self.stop.is_set():
            report.analysed = self._analyze() or report.analysed
        if not self.stop.is_set():
            report.indexed = self._index() or report.indexed
        if not self.stop.is_set():
            report.alerted = self._alerts()
        report.stopped = self.stop.is_set()
        self.metrics.inc("vigie_watch_cycles_total")
        return report

    def run_forever(self, once: bool = False) -> None:
        """Recover, then cycle until stopped (SIGTERM/SIGINT) or after one cycle with ``once``."""
        self.store.recover(abandoned_after=self._longest_run())
        touch(self.config.heartbeat)
        while not self.stop.is_set():
            try:
                report = self.run_cycle()
            except (VigieError, SQLAlchemyError):
                if once:
                    raise
                # A database restart or a bad catalogue must not end the service: retry next cycle.
                log.exception("cycle failed; retrying after the poll interval")
                self._wait(self.config.poll_s)
                continue
            log.info(
                "cycle done crawled=%d failed=%d analysed=%s indexed=%s",
                len(report.crawled),
                len(report.failed),
                report.analysed,
                report.indexed,
            )
            touch(self.config.heartbeat)
            if once:
                return
            self._wait(self.config.poll_s)

    def _wait(self, seconds: float) -> None:
        """Wait between cycles, touching the heartbeat and waking up at once on a stop request."""
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            self.stop.wait(min(10.0, max(deadline - time.monotonic(), 0.0)))
            touch(self.config.heartbeat)

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.config.lease_s)

    def _longest_run(self) -> timedelta:
        """A run older than this has no live worker: the runner kills a stage at its timeout."""
        return timedelta(seconds=self.config.stage_timeout_s + self.config.lease_s)

    @contextmanager
    def _renewing(self, key: str) -> Iterator[None]:
        """Renew the lease on ``key`` every third of its length until the block ends."""
        done = threading.Event()
        lease = self._lease()

        def renew() -> None:
            while not done.wait(lease.total_seconds() / 3):
                try:
                    if not self.store.renew(key, lease):
                        log.warning("lease lost key=%s worker=%s", key, self.config.worker)
                except SQLAlchemyError:
                    log.exception("lease renewal failed key=%s; retrying", key)

        thread = threading.Thread(target=renew, name=f"lease-{key}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join(timeout=5)

    def _crawl(self, source: Any) -> bool | None:
        """Crawl one source; return its outcome, or None if another worker holds it."""
        if not self.store.claim(source.id, self._lease()):
            return None
        before = self.store.count_pages(source.id)
        run_id = self.store.start_run("crawl", source.id)
        args = ["crawl", "--source", source.id, "--sources", str(self.config.sources_file), "--json"]
        with self._renewing(source.id):
            outcome = crawl_outcome(self.runner.run(args))
        new_pages = self.store.count_pages(source.id) - before
        counts = {"new_pages": new_pages, "crawl": outcome.output}
        self._finish("crawl", run_id, outcome, counts)
        self.metrics.inc("vigie_pages_fetched_total", max(new_pages, 0), source=source.id)
        if self.stop.is_set() and not outcome.ok:
            self.store.free_lease(source.id)  # an interruption is not a failure: due again at restart
            return None
        now = now_utc()
        if outcome.ok:
            next_at = next_run_after(source.schedule, now)
        else:
            failures = self.store.failures(source.id) + 1
            next_at = now + backoff_delay(failures, self.config.backoff_base_s, self.config.backoff_cap_s)
        self.store.release(source.id, ok=outcome.ok, next_run_at=next_at, error=outcome.error)
        return outcome.ok

    def _analyze(self) -> bool:
        """Run `vigie analyze` when pages changed since the last analysis, or wait for a first one.

        Pages a previous run could not analyse (the same queue as it left) do not trigger a run alone.
        """
        queue = self.store.analysis_queue()
        last = self.store.last_ok_run("analyze")
        if last is None:
            needed = queue > 0
        else:
            changed = self.store.count_pages(changed_since=as_utc(last.started_at))
            needed = changed > 0 or (queue > 0 and last.counts.get("queue_after") != queue)
        return self._global_stage("analyze", ["analyze"]) if needed else False

    def _index(self) -> bool:
        """Run `vigie index` when an analysis is newer than the last successful indexing."""
        latest = self.store.latest_analysis_at()
        last = self.store.last_ok_run("index")
        since = as_utc(last.started_at) if last is not None else None
        if latest is None or (since is not None and latest < since):
            return self._drain_outbox()
        return self._global_stage("index", ["index"], fresh=self.store.count_analyses(since=since))

    def _alerts(self) -> bool:
        """Run `vigie alerts` when an SMTP server is configured and a saved search sends e-mails."""
        from core.settings import get_settings
        from core.storage.alerts import AlertRepository

        if not get_settings().smtp_host or not AlertRepository(self.store.factory).has_work():
            return False
        return self._global_stage("alerts", ["alerts"], ok_codes=(0,))

    def _drain_outbox(self) -> bool:
        """Run `vigie index --outbox` when review changes wait in the index outbox (e.g. after a crash)."""
        from core.storage import outbox

        with self.store.factory() as session:
            if not outbox.count_pending(session):
                return False
        return self._global_stage("index", ["index", "--outbox"])

    def _global_stage(
        self, stage: str, args: list[str], ok_codes: tuple[int, ...] = (0,), fresh: int = 0
    ) -> bool:
        key = STAGE_KEYS[stage]
        if not self.store.claim(key, self._lease()):
            return False
        analyses_before = self.store.count_analyses()
        run_id = self.store.start_run(stage, None)
        queue_before = self.store.analysis_queue()
        with self._renewing(key):
            outcome = self.runner.run(args, ok_codes=ok_codes)
        counts: dict[str, Any] = {"output": outcome.output}
        if stage == "analyze":
            counts["analysed"] = self.store.count_analyses() - analyses_before
            counts["queue_after"] = self.store.analysis_queue()
            # Exit code 2 means "some items were bad, the others were done": a success if work was done.
            if outcome.exit_code == 2 and counts["queue_after"] < queue_before:
                outcome.ok, outcome.error = True, None
            self.metrics.inc("vigie_pages_analysed_total", max(counts["analysed"], 0))
        elif stage == "alerts":
            counts.update({k: outcome.output.get(k, 0) for k in ("digests", "sent", "failed")})
            self.metrics.inc("vigie_alert_emails_sent_total", float(counts["sent"] or 0))
        else:
            # The index command may report its own count; else the analyses newer than the last indexing.
            indexed = outcome.output.get("indexed", fresh) if outcome.ok else 0
            counts["indexed"] = indexed
            self.metrics.inc("vigie_pages_indexed_total", float(indexed or 0))
        self._finish(stage, run_id, outcome, counts)
        if self.stop.is_set() and not outcome.ok:
            self.store.free_lease(key)
        else:
            self.store.release(key, ok=outcome.ok, next_run_at=None, error=outcome.error)
        return outcome.ok

    def _finish(self, stage: str, run_id: int, outcome: StageOutcome, counts: dict[str, Any]) -> None:
        status = "ok" if outcome.ok else ("interrupted" if self.stop.is_set() else "failed")
        self.store.finish_run(
            run_id, status=status, exit_code=outcome.exit_code, error=outcome.error, counts=counts
        )
        if status == "interrupted":
            log.info("stage interrupted stage=%s run=%d", stage, run_id)
            return  # like a killed run: its work is counted by the run that completes it
        self.metrics.observe_stage(stage, outcome.seconds, outcome.ok)
        if not outcome.ok:
            log.warning("stage failed stage=%s run=%d error=%s", stage, run_id, outcome.error)

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT stop the watch cleanly: the running stage is terminated, state is kept."""

        def _handler(signum: int, _frame: Any) -> None:
            log.info("stop requested signal=%d pid=%d", signum, os.getpid())
            self.stop.set()

        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGINT, _handler)
