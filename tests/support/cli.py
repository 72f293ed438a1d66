"""Running the `vigie` command as a user does: a subprocess of this interpreter, on a data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_vigie(
    args: list[str], data_dir: Path, *, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """`python -m vigie ARGS` on ``data_dir``, offline, embedded engine; never raises on the exit code."""
    full = {**os.environ, "VIGIE_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", **(env or {})}
    if "VIGIE_SEARCH_BACKEND" not in (env or {}):
        full.pop("VIGIE_SEARCH_BACKEND", None)
    return subprocess.run(
        [sys.executable, "-m", "vigie", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=REPO,
        timeout=timeout,
    )
