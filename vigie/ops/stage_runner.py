"""Runs one stage command (`python -m vigie crawl|analyze|index`) as a child process of the watch.

The child dies with the watch (Linux PR_SET_PDEATHSIG), can be stopped from another thread, and
its outcome (exit code, error tail, the JSON object of its last stdout line) is returned, not raised.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
_PR_SET_PDEATHSIG = 1


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
