"""Run a benchmark's child command so that stopping the benchmark stops the child and its workers.

`subprocess.run` kills its child on Ctrl-C, but a benchmark ended by SIGTERM (`kill`, a time limit) dies at
once and leaves the child running, and the child's own workers (the crawl's extraction processes, the
analysis' spaCy worker) with it: later runs then share the machine with orphans and their figures are
wrong. Here the child gets its own process group; SIGTERM to the benchmark becomes an exception, and on
any way out the whole group is stopped (SIGTERM, then SIGKILL after a grace period).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

GRACE_SECONDS = 10.0


class Stopped(Exception):
    """The benchmark received SIGTERM while its child ran."""


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(f"signal {signum}")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_group(proc: subprocess.Popen[Any]) -> None:
    """Stop the child's process group (the child and every worker it forked), then reap the child."""
    if _group_alive(proc.pid):
        os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            proc.poll()  # reap the leader: a zombie still holds the group id
            time.sleep(0.1)
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_child(
    command: Sequence[str], *, cwd: Path, env: dict[str, str], capture: bool = False, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run` for benchmarks: the child and its workers never outlive the benchmark."""
    stream = subprocess.PIPE if capture else None
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    proc = subprocess.Popen(
        list(command), cwd=cwd, env=env, stdout=stream, stderr=stream, text=True, start_new_session=True
    )
    try:
        out, err = proc.communicate()
    finally:
        signal.signal(signal.SIGTERM, previous)
        _stop_group(proc)
    done = subprocess.CompletedProcess(list(command), proc.returncode, out, err)
    if check:
        done.check_returncode()
    return done
