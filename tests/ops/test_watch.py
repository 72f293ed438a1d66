"""`vigie watch` against a real local site: SIGKILL mid-crawl and restart lose and repeat nothing; backoff;
the e-mail digest of a saved search at the end of a cycle (a real SMTP server on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.exc import OperationalError

from core.metrics import MetricsStore
from core.storage import open_database
from core.storage.alerts import AlertRepository
from core.storage.saved_searches import SavedSearchRepository
from core.storage.tables.analysis import AnalysisRow
from core.storage.tables.crawl import PageRow
from core.storage.tables.ops import WatchRunRow, WatchStateRow
from tests.support.cli import run_vigie, start_vigie
from tests.support.news_site import LocalNewsSite
from tests.support.smtp import smtp_server
from vigie.ops.watch_store import WatchStore

SOURCE = "journal-de-quartier"


def _catalogue(path: Path, url: str, key: str) -> Path:
    entry = f'{{id: {SOURCE}, name: "Journal de quartier", kind: press, {key}: ["{url}"], schedule: daily}}'
    path.write_text(f"sources:\n  - {entry}\n", encoding="utf-8")
    return path


def _watch(env: dict[str, str], catalogue: Path, *extra: str) -> subprocess.Popen[str]:
    return start_vigie(["watch", "--sources", str(catalogue), "--worker", "w1", *extra], env=env)


def _count_pages(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(PageRow)) or 0)
    except OperationalError:
        return 0  # not migrated yet
    finally:
        engine.dispose()


def _wait_for_pages(url: str, proc: subprocess.Popen[str], timeout_s: float = 120) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"watch exited early ({proc.returncode}): {proc.stderr.read()[-2000:]}")  # type: ignore[union-attr]
        count = _count_pages(url)
        if count:
            return count
        time.sleep(0.05)  # polling a condition, not waiting for a fixed time
    pytest.fail("the watch stored no page in time")


def page_ids(factory) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(PageRow.id)).all())


@pytest.fixture
def env(settings) -> dict[str, str]:
    """The watch's environment: the test's data directory (its SQLite database)."""
    return {"VIGIE_DATA_DIR": str(settings.data_dir)}


def test_watch_killed_mid_crawl_then_restarted_processes_every_page_once(
    settings, env, tmp_path: Path
) -> None:
    url = settings.resolved_database_url
    with LocalNewsSite(pages=12, open_pages=3) as site:  # 9 articles held: the kill lands mid-crawl
        catalogue = _catalogue(tmp_path / "sources.yaml", f"{site.base_url}/sitemap.xml", "sitemaps")
        first = _watch(env, catalogue, "--poll", "1")
        _wait_for_pages(url, first)
        os.killpg(first.pid, signal.SIGKILL)  # the whole process group: watch and its crawl, as a crash would
        first.wait(timeout=30)
        at_kill = _count_pages(url)
        assert 0 < at_kill <= 3, "only the open articles can be stored before the kill"
        site.release()

        second = _watch(env, catalogue, "--once")
        out, err = second.communicate(timeout=400)
        assert second.returncode == 0, err[-3000:]

        engine, factory = open_database(url)
        with factory() as session:
            urls = session.scalars(select(PageRow.url)).all()
            runs = session.scalars(select(WatchRunRow).order_by(WatchRunRow.id)).all()
            state = session.get(WatchStateRow, SOURCE)
        assert sorted(urls) == sorted(site.article_urls()), "every page stored exactly once"
        crawl_runs = [(r.source_id, r.status) for r in runs if r.stage == "crawl"]
        assert crawl_runs == [(SOURCE, "interrupted"), (SOURCE, "ok")]
        assert state is not None and state.last_status == "ok" and state.consecutive_failures == 0
        assert state.lease_owner is None
        next_run = state.next_run_at if state.next_run_at.tzinfo else state.next_run_at.replace(tzinfo=UTC)
        assert timedelta(hours=23) < next_run - datetime.now(UTC) <= timedelta(days=1)
        # The killed run's pages are not counted again: the counter is exactly what the second run added.
        assert MetricsStore(factory).get("vigie_pages_fetched_total", source=SOURCE) == 12 - at_kill

        with factory() as session:
            analysed = session.scalars(select(AnalysisRow.doc_id)).all()
            first_pass = dict(session.execute(select(AnalysisRow.doc_id, AnalysisRow.analysed_at)).all())
        assert sorted(analysed) == sorted(page_ids(factory)), "every page analysed exactly once"
        stages = {
            stage: [(r.status, r.counts.get(key)) for r in runs if r.stage == stage]
            for stage, key in (("analyze", "analysed"), ("index", "indexed"))
        }
        assert stages == {"analyze": [("ok", 12)], "index": [("ok", 12)]}

        search = run_vigie(["search", "quartier", "--mode", "keyword", "-n", "50", "--json"], env=env)
        assert search.returncode == 0, search.stderr[-2000:]
        hits = [hit["id"] for hit in json.loads(search.stdout)]
        assert sorted(hits) == sorted(page_ids(factory)), "every page indexed exactly once"

        # A restart with nothing due does nothing again: no crawl, no re-analysis, no re-index.
        third = _watch(env, catalogue, "--once")
        _, err = third.communicate(timeout=200)
        assert third.returncode == 0, err[-3000:]
        with factory() as session:
            runs_after = session.scalar(select(func.count()).select_from(WatchRunRow))
            again = dict(session.execute(select(AnalysisRow.doc_id, AnalysisRow.analysed_at)).all())
        assert runs_after == len(runs)
        assert again == first_pass
        engine.dispose()


def test_a_dead_source_is_backed_off_exponentially_and_capped(settings, env, tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: connections are refused
    catalogue = _catalogue(tmp_path / "sources.yaml", f"http://127.0.0.1:{port}/sitemap.xml", "sitemaps")
    args = ("--once", "--backoff", "60", "--backoff-cap", "100")
    engine, factory = open_database(settings.resolved_database_url)

    def run_once() -> WatchStateRow:
        done = run_vigie(["watch", "--sources", str(catalogue), *args], env=env, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        with factory() as session:
            row = session.get(WatchStateRow, SOURCE)
        assert row is not None
        return row

    def delay(row: WatchStateRow) -> float:
        next_run = row.next_run_at.replace(tzinfo=UTC) if row.next_run_at.tzinfo is None else row.next_run_at
        last_run = row.last_run_at.replace(tzinfo=UTC) if row.last_run_at.tzinfo is None else row.last_run_at
        return (next_run - last_run).total_seconds()

    first = run_once()
    assert (first.last_status, first.consecutive_failures) == ("failed", 1)
    assert first.last_error and "no page reached" in first.last_error
    assert 59 <= delay(first) <= 61
    assert WatchStore(factory, "w1").due_sources([SOURCE], datetime.now(UTC)) == []  # not retried before then
    with factory() as session, session.begin():
        session.execute(update(WatchStateRow).values(next_run_at=datetime.now(UTC) - timedelta(seconds=1)))
    second = run_once()
    assert second.consecutive_failures == 2
    assert 99 <= delay(second) <= 101  # 120 s capped at 100 s
    with factory() as session:
        statuses = session.scalars(select(WatchRunRow.status).where(WatchRunRow.stage == "crawl")).all()
    assert statuses == ["failed", "failed"]
    engine.dispose()


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue  # the process ended while we looked
    return found


def test_sigterm_stops_the_running_crawl_cleanly_without_counting_a_failure(
    settings, env, tmp_path: Path
) -> None:
    url = settings.resolved_database_url
    with LocalNewsSite(pages=12, open_pages=2) as site:  # the crawl is held mid-way until the site closes
        catalogue = _catalogue(tmp_path / "sources.yaml", f"{site.base_url}/sitemap.xml", "sitemaps")
        watch = _watch(env, catalogue, "--poll", "1")
        _wait_for_pages(url, watch)
        watch.send_signal(signal.SIGTERM)
        site.release()  # the held requests end now; the stop was asked while they were in flight
        _, err = watch.communicate(timeout=60)
    assert watch.returncode == 0, err[-3000:]
    assert _processes_mentioning(str(catalogue)) == [], "no stage left running"
    engine, factory = open_database(url)
    with factory() as session:
        runs = [(r.stage, r.status) for r in session.scalars(select(WatchRunRow))]
        state = session.get(WatchStateRow, SOURCE)
    assert runs == [("crawl", "interrupted")]
    assert state is not None and state.lease_owner is None
    assert (state.consecutive_failures, state.next_run_at) == (0, None)  # due again, not backed off
    assert MetricsStore(factory).get("vigie_stage_errors_total", stage="crawl") == 0
    engine.dispose()


def test_a_long_stage_keeps_its_lease_and_frees_it_at_the_end(settings, env, tmp_path: Path) -> None:
    """A lease shorter than the crawl is renewed while the crawl runs: no other worker can take the source."""
    url = settings.resolved_database_url
    engine, factory = open_database(url)
    other = WatchStore(factory, "w2")
    with LocalNewsSite(pages=12, open_pages=1) as site:  # the crawl is held until the checks are done
        catalogue = _catalogue(tmp_path / "sources.yaml", f"{site.base_url}/sitemap.xml", "sitemaps")
        watch = _watch(env, catalogue, "--once", "--lease", "1.5")
        _wait_for_pages(url, watch)
        for _ in range(5):
            # A lease is a duration: 5 x 0.5 s outlives the first 1.5 s lease had it not been renewed.
            time.sleep(0.5)
            with factory() as session:
                running = session.scalar(select(WatchRunRow.status).where(WatchRunRow.stage == "crawl"))
            assert running == "running" and watch.poll() is None, "the crawl must still be held"
            assert not other.claim(SOURCE, timedelta(minutes=1)), "the running crawl's lease was taken"
        site.release()
        _, err = watch.communicate(timeout=300)
    assert watch.returncode == 0, err[-3000:]
    with factory() as session:
        state = session.get(WatchStateRow, SOURCE)
    assert state is not None and state.lease_owner is None and state.last_status == "ok"
    assert other.claim(SOURCE, timedelta(minutes=1))  # free once the stage is over
    engine.dispose()


def test_watch_emails_a_saved_search_its_new_pages_once(settings, env, tmp_path: Path) -> None:
    """The whole daily chain: crawl, analyse, index, then the digest of a saved search, sent once."""
    engine, factory = open_database(settings.resolved_database_url)
    saved = SavedSearchRepository(factory).add(
        "analyste", "Traiteurs", {"text": "traiteur", "filters": {}}, "cle-du-flux-de-test"
    )
    AlertRepository(factory).subscribe(saved.id, "equipe@exemple.fr")
    with LocalNewsSite(pages=12) as site, smtp_server() as smtp:
        catalogue = _catalogue(tmp_path / "sources.yaml", f"{site.base_url}/sitemap.xml", "sitemaps")
        mail_env = env | {
            "VIGIE_SMTP_HOST": "127.0.0.1",
            "VIGIE_SMTP_PORT": str(smtp.port),
            "VIGIE_SMTP_STARTTLS": "false",
            "VIGIE_SMTP_FROM": "vigie@exemple.fr",
        }
        first = _watch(mail_env, catalogue, "--once")
        _, err = first.communicate(timeout=400)
        assert first.returncode == 0, err[-3000:]
        # Only article 10 (Le Val Fourré) speaks of a caterer: one digest, one result, its page's link.
        assert smtp.envelopes == [("vigie@exemple.fr", ["equipe@exemple.fr"])]
        (message,) = smtp.messages
        assert message["Subject"] == "Vigie — Traiteurs : 1 nouveau résultat"
        body = message.get_content()
        assert site.article_urls()[10] in body
        assert not any(url in body for url in site.article_urls()[:10])

        # The next cycle finds nothing due and nothing new: nothing is sent twice.
        second = _watch(mail_env, catalogue, "--once")
        _, err = second.communicate(timeout=200)
        assert second.returncode == 0, err[-3000:]
        assert len(smtp.messages) == 1
    with factory() as session:
        stages = [(r.stage, r.status) for r in session.scalars(select(WatchRunRow).order_by(WatchRunRow.id))]
    assert ("alerts", "ok") in stages
    (digest,) = AlertRepository(factory).digests()
    assert digest.sent_at is not None and digest.attempts <= 1
    engine.dispose()
