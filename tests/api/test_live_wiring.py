"""The live app is wired like `vigie serve`: embeddings in search and "similar", jobs run end to end."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.settings import load_settings
from search_api.app.auth import add_user, create_api_token
from tests.support.live_app import DOCS, LiveApp, run_server, seed
from vigie.wiring import make_app_services

REPO = Path(__file__).resolve().parents[2]
# Paraphrases sharing no word with the seeded texts: keyword search finds nothing, embeddings do.
PARAPHRASES = [
    ("potager communautaire", "d1"),  # "jardin partagé"
    ("cultiver des légumes ensemble", "d1"),
    ("apprendre l'informatique aux personnes âgées", "d3"),  # "ateliers numériques pour les seniors"
]


def wait_for_job(client: httpx.Client, name: str) -> dict[str, Any]:
    """Poll GET /api/models until the job is no longer running (bounded; a readiness poll, not a delay)."""
    deadline = time.monotonic() + 300
    while (job := client.get("/api/models").json()["jobs"][name])["status"] == "running":
        assert time.monotonic() < deadline, f"the {name} job never finished"
        time.sleep(0.05)
    return job


@pytest.mark.parametrize(("query", "expected"), PARAPHRASES)
def test_semantic_and_hybrid_search_find_a_paraphrase_keyword_cannot(
    app_live: LiveApp, query: str, expected: str
) -> None:
    with app_live.client("viewer") as client:
        keyword = client.get("/api/search", params={"q": query, "mode": "keyword"}).json()
        semantic = client.get("/api/search", params={"q": query, "mode": "semantic", "size": 3}).json()
        hybrid = client.get("/api/search", params={"q": query, "size": 3}).json()
    assert keyword["total"] == 0 and keyword["hits"] == []
    assert semantic["hits"][0]["id"] == expected
    assert hybrid["mode"] == "hybrid" and hybrid["hits"][0]["id"] == expected


def test_similar_answers_with_the_nearest_documents(app_live: LiveApp) -> None:
    with app_live.client("viewer") as client:
        response = client.get("/api/documents/d1/similar", params={"size": 3})
    assert response.status_code == 200, response.text
    ids = [h["id"] for h in response.json()["hits"]]
    assert len(ids) == 3 and "d1" not in ids and set(ids) <= {d["id"] for d in DOCS}


def test_search_router_keeps_its_auth_guard(app_live: LiveApp) -> None:
    with app_live.client() as client:
        assert client.get("/api/search", params={"q": "jardin"}).status_code == 401
        assert client.get("/api/documents/d1/similar").status_code == 401


def test_train_job_runs_and_reports_why_it_failed(app_live: LiveApp) -> None:
    with app_live.client("admin") as client:
        assert client.post("/api/models/train").status_code == 202
        job = wait_for_job(client, "train")
    assert job["status"] == "failed" and "no training examples found" in job["error"]


@pytest.mark.slow
def test_reanalyse_job_with_the_promoted_models_reanalyses_and_reindexes(
    tmp_path: Path, shared_dir: Path
) -> None:
    """Production's re-analysis hook, with the repository's promoted models (copied: promote may write)."""
    model_dir = tmp_path / "models"
    shutil.copytree(REPO / "models", model_dir)
    settings = load_settings(
        data_dir=tmp_path / "var",
        reference_dir=shared_dir / "data" / "reference",
        secret_key="test-secret-key",
        model_dir=model_dir,
    )
    services = make_app_services(settings)
    seed(services.session_factory)
    with services.session_factory() as session:
        add_user(session, "chef", "motdepasse-chef", "admin")
        token = create_api_token(session, "chef")
    try:
        with (
            run_server(services) as url,
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client,
        ):
            assert client.post("/api/reanalyze").status_code == 202
            job = wait_for_job(client, "reanalyze")
            assert job["status"] == "done", job
            hits = client.get("/api/search", params={"q": "recyclerie solidaire", "size": 3}).json()["hits"]
            document = client.get("/api/documents/d2").json()
    finally:
        assert services.search_engine is not None
        services.search_engine.close()
    assert hits and hits[0]["id"] == "d2"
    assert document["summary"]["model_version"] != "test"  # re-analysed by the promoted models
