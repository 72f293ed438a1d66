"""Every input bounded and typed: the 19 server errors of issue 18 now answer 422 in the documented shape,
corrections keep their domain types, queries are capped, unsafe URLs never become links."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from core.inputs import MAX_TEXT_CHARS
from core.logging import EscapingFormatter
from core.storage.pages import PageRepository
from core.storage.tables import PageRow, SavedSearchRow
from search_api.app.factory import create_app
from search_api.app.routes.exports import to_csv
from tests.support.live_app import LiveApp, live_app, run_app

BIG = 2**63
HEADERS = ("x-content-type-options", "x-frame-options", "content-security-policy")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("bounded") / "var", shared_dir / "data" / "reference") as app:
        yield app


def _assert_error(answer: object, status: int = 422) -> dict[str, str]:
    assert answer.status_code == status, answer.text  # type: ignore[attr-defined]
    assert all(h in answer.headers for h in HEADERS)  # type: ignore[attr-defined]
    error: dict[str, str] = answer.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] and error["message"] and error["hint"]
    return error


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/api/review?offset={BIG}"),
        ("GET", f"/revue?offset={BIG}"),
        ("GET", f"/catalogue?offset={BIG}"),
        ("GET", f"/api/exports/csv?offset={BIG}"),
        ("GET", "/api/exports/csv?limit=-1"),
        ("GET", "/api/exports/jsonl?limit=10001"),
        ("GET", f"/api/review?limit={BIG}"),
        ("POST", f"/api/audit/{BIG}/undo"),
        ("POST", f"/api/models/{BIG}/promote"),
        ("POST", f"/recherches/{BIG}/supprimer"),
        ("GET", "/api/review?min_score=nan"),
        ("GET", "/api/review/" + "x" * 65),
    ],
)
def test_out_of_range_numbers_and_ids_answer_422(live: LiveApp, method: str, path: str) -> None:
    with live.client("admin") as client:
        _assert_error(client.request(method, path))


@pytest.mark.parametrize(
    "corrections",
    [
        {"innovation_types": 5},
        {"innovation_types": ["inconnue"]},
        {"commune": ["Lyon", "Paris"]},
        {"is_initiative": "false"},
        {"in_qpv": 1},
        {"name": {"a": 1}},
        {"qpv_code": "pas un code"},
        {"unknown_field": "x"},
    ],
)
def test_corrections_of_the_wrong_type_are_refused(live: LiveApp, corrections: dict[str, object]) -> None:
    with live.client("reviewer") as client:
        error = _assert_error(
            client.post("/api/review/d6", json={"action": "correct", "corrections": corrections})
        )
        assert "corrections" in error["message"]
        assert client.get("/api/review/d6").json()["corrections"] == {}
        assert client.get("/api/review", params={"commune": "Lyon", "status": "all"}).status_code == 200


def test_typed_corrections_are_stored_with_their_types(live: LiveApp) -> None:
    body = {"action": "correct", "corrections": {"is_initiative": False, "commune": " Lyon ",
                                                 "innovation_types": "sociale,services"}}  # fmt: skip
    with live.client("reviewer") as client:
        item = client.post("/api/review/d6", json=body).json()["item"]
    sent = {k: item["corrections"][k] for k in ("is_initiative", "commune", "innovation_types")}
    assert sent == {"is_initiative": False, "commune": "Lyon", "innovation_types": ["sociale", "services"]}
    # A place correction brings its derived fields (search_api.app.places), typed too.
    assert item["corrections"]["communes"] == [{"insee": "69123", "name": "Lyon"}]
    assert item["corrections"]["department_codes"] == ["69"]


def test_queries_are_capped_everywhere(live: LiveApp) -> None:
    long_query = "quartier " * 2_000  # 18 KB (clients refuse 100 KB URLs; the cap is 500 characters)
    with live.client("viewer") as client:
        _assert_error(client.get("/api/search", params={"q": long_query}))
        _assert_error(client.get("/recherche", params={"q": long_query}))
        _assert_error(client.post("/api/saved-searches", json={"name": "long", "text": long_query}))
        bad_filter = {"name": "mauvais", "text": "jardin", "filters": {"in_qpv": ["peut-être"]}}
        _assert_error(client.post("/api/saved-searches", json=bad_filter))
        _assert_error(client.post("/api/saved-searches", json={"name": "x", "filters": {"nope": ["a"]}}))
        saved = client.post("/api/saved-searches", json={"name": "ok", "filters": {"in_qpv": ["true"]}})
        assert saved.status_code == 200, saved.text
    # A saved search stored before the cap (written directly) is replayed capped, not whole.
    with live.services.session_factory() as session:
        session.add(SavedSearchRow(owner="victor", name="ancienne", query={"text": long_query, "filters": {}},
                                   feed_key="ancienne-cle"))  # fmt: skip
        session.commit()
    with live.client() as anonymous:
        assert anonymous.get("/flux/ancienne-cle.atom").status_code == 200


def test_only_http_urls_become_links(live: LiveApp) -> None:
    with live.services.session_factory() as session:
        page = session.get(PageRow, "d1")
        assert page is not None
        page.url = "javascript:alert(document.cookie)"
        session.commit()
    engine = live.services.search_engine
    assert engine is not None
    from search_api.engines.documents import reindex

    reindex(live.services.session_factory, engine, ["d1"])
    with live.client("reviewer") as client:
        client.post("/api/review/d1", json={"action": "validate"})
        pages = [client.get(p).text for p in ("/recherche?q=jardin", "/catalogue", "/revue/d1")]
        saved = client.post("/api/saved-searches", json={"name": "jardins", "text": "jardin"}).json()
        feed = client.get(saved["feed"]).text
    assert "jardin" in pages[0].lower()
    for text in (*pages, feed):
        assert "javascript:" not in text
    assert "/recherche?q=d1" in feed


def test_csv_guard_covers_leading_whitespace_and_newlines() -> None:
    records = [{"doc_id": v, "title": v} for v in ("=1+1", " =1+1", "\n=cmd", "\t@x", "-2", "+3", "ok")]
    rows = list(csv.DictReader(io.StringIO(to_csv(records).lstrip("\ufeff")), delimiter=";"))
    assert [r["titre"][:1] for r in rows[:-1]] == ["'"] * 6
    assert rows[-1]["titre"] == "ok"


def test_log_lines_cannot_be_forged() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, "f", 1, "login failed username=%s", ("bob\n2026 INFO admin ok",), None
    )
    line = EscapingFormatter("%(levelname)s %(message)s").format(record)
    assert "\n" not in line and "bob\\n2026" in line


def test_long_texts_are_capped_when_stored(live: LiveApp) -> None:
    repo = PageRepository(live.services.session_factory)
    page_id, _ = repo.upsert({"canonical_url": "https://exemple.test/long", "url": "https://exemple.test/long",
                              "text": "é" * (MAX_TEXT_CHARS + 5)})  # fmt: skip
    with live.services.session_factory() as session:
        page = session.get(PageRow, page_id)
        assert page is not None and len(page.text or "") == MAX_TEXT_CHARS


def test_an_unexpected_error_answers_500_in_the_documented_shape(live: LiveApp) -> None:
    app = create_app(live.services)
    boom = APIRouter()

    @boom.get("/api/boom")
    def explode() -> None:
        raise RuntimeError("bug with a secret path /etc/vigie")

    app.include_router(boom)

    with run_app(app) as url:
        answer = httpx.get(f"{url}/api/boom", timeout=30)
    error = _assert_error(answer, 500)
    assert "/etc/vigie" not in answer.text and error["code"] == "E500"
