"""/api/health, /api/status and /api/metrics on the real app, reading what a watch wrote to the database."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from core.metrics import MetricsStore
from core.storage.tables.crawl import PageRow
from search_api.app.auth import add_user, create_api_token
from search_api.app.factory import create_app
from search_api.app.services import AppServices
from vigie.watch_store import WatchStore

SAMPLE_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? \S+$')


@pytest.fixture
def client(settings, db):
    _, factory = db
    store = WatchStore(factory, "worker-1")
    store.ensure_sources(["presse-ok", "presse-morte"])
    for source, ok in (("presse-ok", True), ("presse-morte", False)):
        assert store.claim(source, timedelta(minutes=5))
        run = store.start_run("crawl", source)
        error = None if ok else "no page reached; errors: connection_refused=1"
        store.finish_run(
            run, status="ok" if ok else "failed", exit_code=0, error=error, counts={"new_pages": 2}
        )
        store.release(source, ok=ok, next_run_at=None, error=error)
        MetricsStore(factory).observe_stage("crawl", 1.5, ok)
    MetricsStore(factory).inc("vigie_pages_fetched_total", 2, source="presse-ok")
    with factory() as session:
        session.add_all(
            [
                PageRow(id=f"p{i}", canonical_url=f"https://ex.fr/{i}", text="t", source="presse-ok")
                for i in range(2)
            ]
        )
        add_user(session, "victor", "motdepasse-test", "viewer")
        token = create_api_token(session, "victor")
        session.commit()
    app = create_app(AppServices(settings=settings, session_factory=factory, search_engine=None))
    with TestClient(app) as test_client:
        test_client.headers["authorization"] = f"Bearer {token}"
        yield test_client


def test_health_is_public_and_checks_the_database(client: TestClient) -> None:
    response = client.get("/api/health", headers={"authorization": ""})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_status_and_metrics_need_a_login(client: TestClient) -> None:
    for path in ("/api/status", "/api/metrics"):
        assert client.get(path, headers={"authorization": ""}).status_code == 401


def test_status_shows_last_run_per_source_errors_and_queues(client: TestClient) -> None:
    body = client.get("/api/status").json()
    by_id = {s["source_id"]: s for s in body["sources"]}
    assert by_id["presse-ok"]["last_status"] == "ok" and by_id["presse-ok"]["consecutive_failures"] == 0
    assert by_id["presse-morte"]["consecutive_failures"] == 1
    assert "connection_refused" in by_id["presse-morte"]["last_error"]
    assert by_id["presse-ok"]["running"] is False
    assert (by_id["presse-ok"]["pages"], by_id["presse-morte"]["pages"]) == (2, 0)
    assert [e["source_id"] for e in body["errors"]] == ["presse-morte"]
    assert body["queues"]["analysis_queue"] == 2 and body["queues"]["pages"] == 2
    assert body["queues"]["sources_failing"] == 1


def test_metrics_are_prometheus_text(client: TestClient) -> None:
    response = client.get("/api/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = response.text.splitlines()
    assert "# TYPE vigie_stage_runs_total counter" in lines
    assert 'vigie_stage_runs_total{stage="crawl",status="failed"} 1' in lines
    assert 'vigie_stage_seconds_sum{stage="crawl"} 3' in lines
    assert 'vigie_pages_fetched_total{source="presse-ok"} 2' in lines
    assert "vigie_analysis_queue 2" in lines and "# TYPE vigie_analysis_queue gauge" in lines
    for line in lines:
        assert line.startswith("# ") or SAMPLE_LINE.match(line), line


def test_status_page_shows_sources_and_their_errors_in_french(client: TestClient) -> None:
    response = client.get("/etat")
    assert response.status_code == 200
    page = response.text
    assert "État de la veille" in page
    assert "presse-ok" in page and "presse-morte" in page
    assert "connection_refused" in page
    assert client.get("/etat", headers={"authorization": ""}).status_code in (303, 401)
