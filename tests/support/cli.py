"""Running the `vigie` command as a user does: a subprocess of this interpreter, offline.

The one helper for every test that runs the CLI (`run_vigie` to its end, `start_vigie` for a long-running
command such as `vigie watch`). With ``data_dir`` the command runs on that directory's SQLite database and
the embedded engine, whatever the test process's environment says; without it, it inherits the test's
environment (the settings fixtures export VIGIE_DATA_DIR).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")


def vigie_argv(args: Sequence[str]) -> list[str]:
    """The argv of `python -m vigie ARGS` with this interpreter."""
    return [sys.executable, "-m", "vigie", *args]


def vigie_env(data_dir: Path | None = None, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment, offline; on ``data_dir`` when given; then ``env`` on top."""
    full = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if data_dir is not None:
        full["VIGIE_DATA_DIR"] = str(data_dir)
        full.pop("VIGIE_DATABASE_URL", None)
        full.pop("VIGIE_SEARCH_BACKEND", None)
    full.update(env or {})
    return full


def run_vigie(
    args: Sequence[str],
    data_dir: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    timeout: float = 240,
) -> subprocess.CompletedProcess[str]:
    """`python -m vigie ARGS` to its end; never raises on the exit code.

    Text in and out as UTF-8 with ``surrogateescape``: bytes that are not UTF-8 go through unchanged
    (``raw.decode("utf-8", "surrogateescape")`` gives an ``input`` that reaches the command as ``raw``).
    """
    return subprocess.run(
        vigie_argv(args),
        input=input,
        capture_output=True,
        encoding="utf-8",
        errors="surrogateescape",
        env=vigie_env(data_dir, env),
        cwd=REPO,
        timeout=timeout,
    )


def start_vigie(
    args: Sequence[str],
    data_dir: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdout: int = subprocess.PIPE,
    stderr: int = subprocess.PIPE,
) -> subprocess.Popen[str]:
    """`python -m vigie ARGS` in the background, in its own session (so a test can signal its group).

    Output the test does not read must go to ``subprocess.DEVNULL``: a full pipe would block the command.
    """
    return subprocess.Popen(
        vigie_argv(args),
        cwd=REPO,
        env=vigie_env(data_dir, env),
        stdout=stdout,
        stderr=stderr,
        text=True,
        start_new_session=True,
    )


@contextmanager
def serve_vigie(env: Mapping[str, str]) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`vigie serve --port 0`, a real process with exactly ``env``; yields it and its URL once it answers."""
    proc = subprocess.Popen(
        vigie_argv(["serve", "--port", "0"]),
        env=dict(env), cwd=REPO, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    port: list[str] = []
    ready = threading.Event()

    def read() -> None:  # the port is in uvicorn's start line; reading also keeps the pipe drained
        assert proc.stderr is not None
        for line in proc.stderr:
            match = LISTENING.search(line)
            if match and not port:
                port.append(match.group(1))
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(180), "vigie serve did not start"
        url = f"http://127.0.0.1:{port[0]}"
        assert httpx.get(f"{url}/api/health", timeout=30).status_code == 200
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=60)
