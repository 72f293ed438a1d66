"""bench/children.py: a benchmark stopped by SIGTERM leaves no child or worker running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench"

# The child forks a worker (as `vigie crawl` forks extraction workers), records both pids, then waits.
CHILD = """
import os, sys, time
worker = os.fork()
if worker == 0:
    time.sleep(120)
    os._exit(0)
with open(sys.argv[1], "w") as handle:
    handle.write(f"{os.getpid()} {worker}")
time.sleep(120)
"""

# The benchmark: runs the child through run_child and reports how it ended.
BENCHMARK = """
import sys
sys.path.insert(0, sys.argv[1])
from children import run_child, Stopped
try:
    run_child([sys.executable, "-c", sys.argv[2], sys.argv[3]], cwd=sys.argv[1], env={})
except Stopped:
    print("stopped", flush=True)
    raise SystemExit(3)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


def _wait_for(condition: Callable[[], bool], seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_sigterm_to_the_benchmark_stops_its_child_and_the_childs_worker(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    bench = subprocess.Popen(
        [sys.executable, "-c", BENCHMARK, str(BENCH), CHILD, str(pids)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert _wait_for(lambda: pids.exists() and len(pids.read_text().split()) == 2)
        child, worker = (int(x) for x in pids.read_text().split())
        assert _alive(child) and _alive(worker)
        bench.send_signal(signal.SIGTERM)
        out, _ = bench.communicate(timeout=60)
        assert bench.returncode == 3 and out.strip() == "stopped"
        assert _wait_for(lambda: not _alive(child) and not _alive(worker))
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()


def test_a_child_that_ends_normally_returns_its_output(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from children import run_child  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BENCH))
    done = run_child(
        [sys.executable, "-c", "print('ok'); raise SystemExit(4)"], cwd=tmp_path, env={}, capture=True
    )
    assert (done.returncode, done.stdout.strip()) == (4, "ok")
