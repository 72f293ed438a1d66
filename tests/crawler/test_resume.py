"""A crawl killed with SIGKILL and started again finishes the job: no page lost, none stored twice."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

from tests.support.cli import start_vigie
from tests.support.crawl import crawl_env, query, run_crawl_cli
from tests.support.site import LocalSite, article_html, french_text, sitemap_xml

TOTAL, BEFORE_KILL = 30, 10


def _stored_pages(settings) -> int:
    path = settings.data_dir / "vigie.db"
    if not path.exists():
        return 0
    try:
        return query(settings, "SELECT COUNT(*) FROM pages")[0][0]
    except sqlite3.OperationalError:  # the schema is being created
        return 0


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_sigkill_then_resume_counts_exactly(settings) -> None:
    gate = threading.Event()
    site = LocalSite()
    paths = [f"/2024/05/article-{i:02d}" for i in range(TOTAL)]
    for i, path in enumerate(paths):
        site.add(
            path, article_html(f"Article {i}", french_text(100 + i)), gate=gate if i >= BEFORE_KILL else None
        )
    site.add("/robots.txt", "User-agent: *\n", content_type="text/plain")
    with site.serving():
        site.add("/sitemap.xml", sitemap_xml([site.url(p) for p in paths]))
        env = crawl_env(settings, VIGIE_CRAWL_CONCURRENCY="2")
        proc = start_vigie(
            ["crawl", "--sitemap", site.url("/sitemap.xml"), "--json"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while _stored_pages(settings) < BEFORE_KILL and time.monotonic() < deadline:
                assert proc.poll() is None, "the crawl ended before it could be killed"
                time.sleep(0.05)  # polling the database, not waiting for a fixed time
            assert _stored_pages(settings) == BEFORE_KILL
            workers = _children(proc.pid)
            assert workers, "extraction runs in worker processes"
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the process table
        assert not any(_alive(pid) for pid in workers), "extraction workers outlived the killed crawler"
        gate.set()
        assert (settings.data_dir / "crawl-jobs").is_dir(), "the killed job left its state for the resume"

        resumed = run_crawl_cli(settings, "--sitemap", site.url("/sitemap.xml"))
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert resumed.counts["resumed_skipped"] == BEFORE_KILL
        assert resumed.counts["new"] == TOTAL - BEFORE_KILL
        assert (resumed.counts["updated"], resumed.counts["duplicates"]) == (0, 0)
        assert resumed.errors == {}
        # the pages stored before the kill were not downloaded again
        assert all(len(site.requests_for(p)) == 1 for p in paths[:BEFORE_KILL])

    rows = query(settings, "SELECT canonical_url, COUNT(*) FROM pages GROUP BY canonical_url")
    assert len(rows) == TOTAL and all(count == 1 for _, count in rows)
    runs = query(settings, "SELECT status, stats FROM crawl_runs ORDER BY id")
    assert [status for status, _ in runs] == ["killed", "finished"]
    assert not (settings.data_dir / "crawl-jobs" / "adhoc-127.0.0.1").exists(), "finished jobs are cleaned up"


def test_sigterm_pauses_and_the_next_run_completes_the_job(settings) -> None:
    gate = threading.Event()
    site = LocalSite()
    paths = [f"/2024/06/article-{i:02d}" for i in range(12)]
    for i, path in enumerate(paths):
        site.add(path, article_html(f"Article {i}", french_text(300 + i)), gate=gate if i >= 4 else None)
    site.add("/robots.txt", "User-agent: *\n", content_type="text/plain")
    with site.serving():
        site.add("/sitemap.xml", sitemap_xml([site.url(p) for p in paths]))
        proc = start_vigie(
            ["crawl", "--sitemap", site.url("/sitemap.xml"), "--json"],
            env=crawl_env(settings, VIGIE_CRAWL_CONCURRENCY="2"),
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while _stored_pages(settings) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)  # polling the database
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        gate.set()
        assert proc.returncode == 0
        first = json.loads(out.strip().splitlines()[-1])
        assert first["status"] == "paused"
        resumed = run_crawl_cli(settings, "--sitemap", site.url("/sitemap.xml"))
    assert resumed.stats["status"] == "finished"
    assert first["counts"]["new"] + resumed.counts["new"] == len(paths)
    assert resumed.counts["resumed_skipped"] == first["counts"]["new"]
    rows = query(settings, "SELECT canonical_url, COUNT(*) FROM pages GROUP BY canonical_url")
    assert len(rows) == len(paths) and all(count == 1 for _, count in rows)
    assert [s for (s,) in query(settings, "SELECT status FROM crawl_runs ORDER BY id")] == [
        "paused",
        "finished",
    ]
