"""`vigie watch`: crawl each source on its schedule, then analyse and index what is new.

Each stage runs as a subprocess (`python -m vigie crawl|analyze|index`): a Twisted reactor cannot
restart in-process, and a stage that crashes or leaks cannot take the watch down with it. Every
decision is derived from the database (watch_state, watch_runs, pages, analyses) and every stage
command is idempotent, so a watch restarted after a crash or SIGKILL neither loses nor repeats work.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.errors import ConfigError
from core.metrics import MetricsStore
from core.settings import PROJECT_ROOT
from vigie.schedule import backoff_delay, next_run_after
from vigie.watch_store import STAGE_KEYS, WatchStore, as_utc, now_utc

log = logging.getLogger(__name__)
DEFAULT_CATALOGUE = PROJECT_ROOT / "sources" / "catalogue.yaml"
_PR_SET_PDEATHSIG = 1


@dataclass
class WatchConfig:
    """Knobs of the watch loop."""

    sources_file: Path = DEFAULT_CATALOGUE
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}")
    poll_s: float = 60.0
    backoff_base_s: float = 300.0
    backoff_cap_s: float = 6 * 3600.0
    stage_timeout_s: float = 3 * 3600.0
    only: tuple[str, ...] = ()
    python: str = sys.executable
    # Touched while the watch is alive (between cycles and during stages): container health checks.
    heartbeat: Path | None = None


def touch(path: Path | None) -> None:
    """Update the heartbeat file's modification time (never fails the watch)."""
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError as exc:
        log.warning("heartbeat not written path=%s error=%s", path, exc)


@dataclass
class StageOutcome:
    """What one stage subprocess did."""

    ok: bool
    exit_code: int | None
    error: str | None
    seconds: float
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class CycleReport:
    """What one watch cycle did."""

    crawled: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    analysed: bool = False
    indexed: bool = False
    stopped: bool = False


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: the stage gets SIGKILL when the watch dies, so no orphan keeps writing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _error_tail(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return "\n".join(lines[-5:])[-1500:] or "no message on stderr"


class StageRunner:
    """Runs one `python -m vigie ...` stage command, stoppable from another thread."""

    def __init__(
        self, python: str, timeout_s: float, stop: threading.Event, heartbeat: Path | None = None
    ) -> None:
        self.python = python
        self.timeout_s = timeout_s
        self.stop = stop
        self.heartbeat = heartbeat

    def run(self, args: list[str], ok_codes: tuple[int, ...] = (0,)) -> StageOutcome:
        """Run ``python -m vigie ARGS``; parse a JSON object on the last stdout line if there is one."""
        argv = [self.python, "-m", "vigie", *args]
        start = time.perf_counter()
        log.info("stage start argv=%s", " ".join(args))
        proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_die_with_parent
        )
        terminated = threading.Event()
        watcher = threading.Thread(target=self._stop_on_request, args=(proc, terminated), daemon=True)
        watcher.start()
        try:
            stdout, stderr = proc.communicate(timeout=self.timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
            return StageOutcome(
                False, None, f"timed out after {self.timeout_s:.0f} s", time.perf_counter() - start
            )
        seconds = time.perf_counter() - start
        watcher.join(timeout=5)
        if terminated.is_set():
            # Even a graceful exit 0 after our SIGTERM left work undone: the run is interrupted.
            return StageOutcome(False, proc.returncode, "stopped by the watch", seconds, _last_json(stdout))
        ok = proc.returncode in ok_codes
        return StageOutcome(
            ok, proc.returncode, None if ok else _error_tail(stderr), seconds, _last_json(stdout)
        )

    def _stop_on_request(self, proc: subprocess.Popen[str], terminated: threading.Event) -> None:
        beat = time.monotonic()
        while proc.poll() is None:
            if self.stop.wait(0.5):
                if proc.poll() is None:
                    terminated.set()
                    proc.terminate()
                return
            if time.monotonic() - beat > 10:
                touch(self.heartbeat)
                beat = time.monotonic()


def crawl_outcome(outcome: StageOutcome) -> StageOutcome:
    """A crawl that exits 0 but fetched nothing and only met errors (a dead site) is a failure."""
    if not outcome.ok:
        return outcome
    counts = outcome.output.get("counts") or {}
    reached = sum(int(counts.get(k, 0) or 0) for k in ("fetched", "not_modified", "unchanged"))
    errors = outcome.output.get("errors") or {}
    if outcome.output and reached == 0 and errors:
        summary = ", ".join(f"{k}={v}" for k, v in sorted(errors.items()))
        outcome.ok, outcome.error = False, f"no page reached; errors: {summary}"
    return outcome


def _last_json(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        return value if isinstance(value, dict) else {}
    return {}


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
        for source_id in self.store.due_sources(sorted(sources), now_utc()):
            if self.stop.is_set():
                report.stopped = True
                return report
            ok = self._crawl(sources[source_id])
            if ok is not None:
                (report.crawled if ok else report.failed).append(source_id)
        if not self.stop.is_set():
            report.analysed = self._analyze()
        if not self.stop.is_set():
            report.indexed = self._index()
        report.stopped = self.stop.is_set()
        self.metrics.inc("vigie_watch_cycles_total")
        return report

    def run_forever(self, once: bool = False) -> None:
        """Recover, then cycle until stopped (SIGTERM/SIGINT) or after one cycle with ``once``."""
        self.store.recover(abandoned_after=self._lease())
        touch(self.config.heartbeat)
        while not self.stop.is_set():
            report = self.run_cycle()
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
            deadline = time.monotonic() + self.config.poll_s
            while not self.stop.is_set() and time.monotonic() < deadline:
                self.stop.wait(min(10.0, max(deadline - time.monotonic(), 0.0)))
                touch(self.config.heartbeat)

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.config.stage_timeout_s + 600)

    def _crawl(self, source: Any) -> bool | None:
        """Crawl one source; return its outcome, or None if another worker holds it."""
        if not self.store.claim(source.id, self._lease()):
            return None
        before = self.store.count_pages(source.id)
        run_id = self.store.start_run("crawl", source.id)
        args = ["crawl", "--source", source.id, "--sources", str(self.config.sources_file), "--json"]
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
            return False
        return self._global_stage("index", ["index"], fresh=self.store.count_analyses(since=since))

    def _global_stage(
        self, stage: str, args: list[str], ok_codes: tuple[int, ...] = (0,), fresh: int = 0
    ) -> bool:
        key = STAGE_KEYS[stage]
        if not self.store.claim(key, self._lease()):
            return False
        analyses_before = self.store.count_analyses()
        run_id = self.store.start_run(stage, None)
        queue_before = self.store.analysis_queue()
        outcome = self.runner.run(args, ok_codes=ok_codes)
        counts: dict[str, Any] = {"output": outcome.output}
        if stage == "analyze":
            counts["analysed"] = self.store.count_analyses() - analyses_before
            counts["queue_after"] = self.store.analysis_queue()
            # Exit code 2 means "some items were bad, the others were done": a success if work was done.
            if outcome.exit_code == 2 and counts["queue_after"] < queue_before:
                outcome.ok, outcome.error = True, None
            self.metrics.inc("vigie_pages_analysed_total", max(counts["analysed"], 0))
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
