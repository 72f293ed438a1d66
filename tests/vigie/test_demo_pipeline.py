"""End to end, as `make run` does it: demo site -> crawl -> analyze -> index -> search (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow


def _vigie(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigie", *args], env=env, capture_output=True, text=True, timeout=900
    )


def test_demo_runs_end_to_end_and_finds_the_fablab(tmp_path: Path) -> None:
    env = {**os.environ, "VIGIE_DATA_DIR": str(tmp_path / "var"), "VIGIE_SEARCH_BACKEND": "embedded"}
    env.pop("VIGIE_DATABASE_URL", None)
    done = _vigie(["demo", "--no-serve", "--site-port", "0"], env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'vigie.db'}")
    with engine.connect() as conn:
        pages = conn.execute(text("select count(*) from pages")).scalar_one()
        analysed = conn.execute(text("select count(*) from analyses")).scalar_one()
        initiatives = conn.execute(text("select count(*) from analyses where is_initiative")).scalar_one()
    engine.dispose()
    assert pages == 7, f"the demo site has 7 articles, {pages} stored"
    assert analysed == pages
    assert initiatives >= 3, "the fablab, the mobile grocery and the garage are initiatives"

    found = _vigie(["search", "fablab pour les jeunes", "--limit", "3", "--json"], env)
    assert found.returncode == 0, found.stderr[-2000:]
    hits = json.loads(found.stdout)
    assert hits and "fablab" in (hits[0].get("title") or "").lower()
