"""End to end, as `make run` does it: demo site -> crawl -> analyze -> index -> search (real processes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.cli import run_vigie

pytestmark = pytest.mark.slow


def test_demo_runs_end_to_end_and_finds_the_fablab(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"  # its SQLite database and the embedded engine
    done = run_vigie(["demo", "--no-serve", "--site-port", "0"], data_dir, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'vigie.db'}")
    with engine.connect() as conn:
        pages = conn.execute(text("select count(*) from pages")).scalar_one()
        analysed = conn.execute(text("select count(*) from analyses")).scalar_one()
        flagged = dict(
            conn.execute(
                text("select p.title, a.is_initiative from pages p join analyses a on a.doc_id = p.id")
            ).all()
        )
    engine.dispose()
    assert pages == 7, f"the demo site has 7 articles, {pages} stored"
    assert analysed == pages

    def flag(words: str) -> bool:
        matches = [bool(v) for title, v in flagged.items() if words in (title or "")]
        assert len(matches) == 1, f"one demo page titled with {words!r}: {sorted(flagged)}"
        return matches[0]

    # Named pages, both ways: a model that flags everything (or nothing) fails here.
    for words in ("un fablab ouvre", "épicerie solidaire mobile", "garage solidaire"):
        assert flag(words), f"{words!r} is an initiative"
    assert not flag("conseil municipal adopte un budget"), "a municipal budget is no initiative"

    found = run_vigie(["search", "fablab pour les jeunes", "--limit", "3", "--json"], data_dir)
    assert found.returncode == 0, found.stderr[-2000:]
    hits = json.loads(found.stdout)
    assert hits and "fablab" in (hits[0].get("title") or "").lower()
