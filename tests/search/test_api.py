"""The search API on the real app: same ranking as the CLI, 422 naming the field, 503 when down."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings
from search_api.app.auth import add_user, create_api_token
from search_api.app.factory import create_app
from search_api.app.services import AppServices
from search_api.engines.base import SearchEngine
from search_api.engines.elasticsearch import ElasticsearchEngine
from search_api.engines.embedding_cache import CachedEmbedder
from tests.search.corpus import DOCS
from tests.support.cli import run_vigie


def make_client(
    settings: Settings, factory: sessionmaker[Session], engine: SearchEngine | None
) -> TestClient:
    app = create_app(AppServices(settings=settings, session_factory=factory, search_engine=engine))
    with factory() as session:
        add_user(session, "lectrice", "motdepasse-long-42", "viewer")
        session.commit()
        token = create_api_token(session, "lectrice")
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def analysed_line(item: dict[str, object]) -> dict[str, object]:
    kw = item["keywords"]
    assert isinstance(kw, dict)
    return {
        "id": item["id"], "title": item["title"], "text": item["text"], "date": item["date"],
        "is_initiative": float(item["score"]) >= 0.5, "initiative_score": item["score"],  # type: ignore[arg-type]
        "innovation_types": kw["innovation_type"], "type_scores": {},
        "in_qpv": {"true": True, "false": False}.get(kw["in_qpv"][0]), "doc_kind": kw["doc_kind"][0],
        "qpv": [{"code": c, "name": c, "commune": "", "insee": ""} for c in kw["qpv"]],
        "communes": [{"insee": c, "name": c} for c in kw["commune"]], "initiatives": [],
        "department_codes": kw["department"], "region_codes": kw["region"],
    }  # fmt: skip


@pytest.fixture
def indexed(settings: Settings, tmp_path: Path) -> Path:
    """The corpus indexed through `vigie index` (one bad line among them) in the settings' data dir."""
    lines = [json.dumps(analysed_line(d), ensure_ascii=False) for d in DOCS]
    lines.insert(2, "{not json")
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run_vigie(["index", str(path)], settings.data_dir)
    assert done.returncode == 2, done.stderr
    assert "line 3" in done.stderr and f"indexed {len(DOCS)} document(s)" in done.stdout
    return path


def test_cli_and_api_return_the_same_ranking(
    settings: Settings, db: tuple[Engine, sessionmaker[Session]], indexed: Path, embedder: CachedEmbedder
) -> None:
    from vigie.wiring import make_search_engine

    cli = run_vigie(["search", "fablab pour les jeunes", "--limit", "5", "--json"], settings.data_dir)
    assert cli.returncode == 0, cli.stderr
    cli_hits = json.loads(cli.stdout)
    assert cli_hits[0]["id"] == "fab1" and "<mark>" in cli_hits[0]["highlights"][0]
    client = make_client(settings, db[1], make_search_engine(settings, embedder=embedder.inner))
    resp = client.get("/api/search", params={"q": "fablab pour les jeunes", "size": 5})
    assert resp.status_code == 200, resp.text
    assert [h["id"] for h in resp.json()["hits"]] == [h["id"] for h in cli_hits]
    top = resp.json()["hits"][0]
    assert "fablab" in [w.lower() for w in top["why"]["words"]] and "<mark>" in top["why"]["passage"]
    placed = client.get("/api/search", params={"q": "un fablab pour les jeunes à Marseille", "size": 3})
    assert placed.json()["hits"][0]["why"]["place"] == ["13055"]  # the analysis names communes by code here


def test_api_filters_facets_documents_and_similar(
    settings: Settings, db: tuple[Engine, sessionmaker[Session]], indexed: Path, embedder: CachedEmbedder
) -> None:
    from vigie.wiring import make_search_engine

    client = make_client(settings, db[1], make_search_engine(settings, embedder=embedder.inner))
    resp = client.get("/api/search", params=[("in_qpv", "true"), ("facets", "region,doc_kind"), ("size", 50)])
    body = resp.json()
    want = {d["id"] for d in DOCS if d["keywords"]["in_qpv"] == ["true"]}
    assert {h["id"] for h in body["hits"]} | {
        "fab2"
    } == want  # fab2 is the collapsed duplicate? no: no group here
    assert body["facets"]["doc_kind"]["press"] == sum(
        1 for d in DOCS if d["id"] in want and "press" in d["keywords"]["doc_kind"]
    )
    doc = client.get("/api/documents/mob1").json()
    assert doc["id"] == "mob1" and "Tarterêts" in doc["text"] and doc["summary"]["doc_kind"] == "press"
    assert client.get("/api/documents/absent").status_code == 404
    similar = client.get("/api/documents/fab1/similar", params={"size": 3}).json()
    assert len(similar["hits"]) == 3 and "fab1" not in [h["id"] for h in similar["hits"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"size": 0}, "size"),
        ({"mode": "magic"}, "mode"),
        ({"in_qpv": "maybe"}, "in_qpv"),
        ({"date_from": "hier"}, "date_from"),
        ({"min_score": 3}, "min_score"),
        ({"facets": "colour"}, "colour"),
    ],
)
def test_bad_parameters_answer_422_naming_the_field(
    settings: Settings,
    db: tuple[Engine, sessionmaker[Session]],
    embedder: CachedEmbedder,
    params: dict[str, object],
    field: str,
) -> None:
    from search_api.engines.embedded import EmbeddedEngine

    client = make_client(settings, db[1], EmbeddedEngine(settings.data_dir / "idx", embedder=embedder))
    resp = client.get("/api/search", params=params)
    assert resp.status_code == 422
    assert field in json.dumps(resp.json())


def test_engine_down_answers_503_with_a_clear_message(
    settings: Settings, db: tuple[Engine, sessionmaker[Session]]
) -> None:
    client = make_client(
        settings, db[1], ElasticsearchEngine("http://127.0.0.1:9", alias="down", request_timeout=2)
    )
    resp = client.get("/api/search", params={"q": "fablab", "mode": "keyword"})
    assert resp.status_code == 503
    assert "unreachable" in resp.json()["error"]["message"]
    assert "Traceback" not in resp.text
