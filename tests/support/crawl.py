"""Running `vigie crawl --json` in a subprocess on the test's data directory, and reading what it stored."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import pytest

from core.settings import Settings
from tests.support.cli import run_vigie


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
    env = {
        "VIGIE_DATA_DIR": str(settings.data_dir),
        "VIGIE_CRAWL_DELAY": "0",
        "VIGIE_CRAWL_TIMEOUT": "2",
        "VIGIE_CRAWL_MAX_PAGE_MB": "5",
        "VIGIE_LOG_LEVEL": "INFO",
    }
    env.update(extra)
    return env


def run_crawl_cli(settings: Settings, *args: str, **env: str) -> CrawlRun:
    """Run one crawl to its end and parse its JSON counters."""
    proc = run_vigie(["crawl", *args, "--json"], env=crawl_env(settings, **env), timeout=600)
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
