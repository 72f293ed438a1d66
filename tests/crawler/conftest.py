"""Fixtures of the crawler tests: run `python -m vigie crawl` in a subprocess against a local site."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CrawlRun:
    """The outcome of one `vigie crawl --json` subprocess."""

    returncode: int
    stats: dict[str, Any]
    stderr: str

    @property
    def counts(self) -> dict[str, int]:
        """The summed counters."""
        return self.stats["counts"]

    @property
    def errors(self) -> dict[str, int]:
        """Errors by kind."""
        return self.stats["errors"]


def crawl_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment of a crawl subprocess: the test's data directory, no politeness delay."""
    env = dict(os.environ)
    env.update(
        VIGIE_DATA_DIR=str(settings.data_dir),
        VIGIE_CRAWL_DELAY="0",
        VIGIE_CRAWL_TIMEOUT="2",
        VIGIE_CRAWL_MAX_PAGE_MB="5",
        VIGIE_LOG_LEVEL="INFO",
        HF_HUB_OFFLINE="1",
    )
    env.update(extra)
    return env


def crawl_command(*args: str) -> list[str]:
    """The argv of `python -m vigie crawl ... --json`."""
    return [sys.executable, "-m", "vigie", "crawl", *args, "--json"]


def run_crawl_cli(settings: Settings, *args: str, **env: str) -> CrawlRun:
    """Run one crawl to its end and parse its JSON counters."""
    proc = subprocess.run(
        crawl_command(*args), cwd=REPO_ROOT, env=crawl_env(settings, **env), capture_output=True, text=True
    )
    last = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
    try:
        stats = json.loads(last)
    except json.JSONDecodeError:
        pytest.fail(f"crawl printed no JSON counters:\nstdout={proc.stdout}\nstderr={proc.stderr[-3000:]}")
    return CrawlRun(proc.returncode, stats, proc.stderr)


def query(settings: Settings, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the test database directly (what other areas see)."""
    path = settings.data_dir / "vigie.db"
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()
