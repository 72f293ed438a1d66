"""Review actions over HTTP: the audit trail records who, when, before and after, and undo restores."""

from __future__ import annotations

import csv
import io
import json
import re

from tests.support.live_app import DOCS, PASSWORD, LiveApp, make_analysis


def test_correct_then_undo_leaves_both_entries_and_restores(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        before = client.get("/api/review/d3").json()["values"]["carrier"]
        body = {"action": "correct", "corrections": {"carrier": "Mairie Est"}}
        corrected = client.post("/api/review/d3", json=body)
        assert corrected.status_code == 200
        assert corrected.json()["item"]["values"]["carrier"] == "Mairie Est"
        audit_id = corrected.json()["audit"]["id"]
        undone = client.post(f"/api/audit/{audit_id}/undo")
        assert undone.status_code == 200
        assert client.get("/api/review/d3").json()["values"]["carrier"] == before
        entries = client.get("/api/audit", params={"doc_id": "d3"}).json()["entries"]
    actions = [e["action"] for e in entries]
    assert actions[:2] == ["undo", "correct"]
    undo, correct = entries[0], entries[1]
    assert correct["actor"] == "rita" and correct["created_at"]
    assert correct["before"]["corrections"] == {}
    assert correct["after"]["corrections"] == {"carrier": "Mairie Est"}
    assert undo["undo_of"] == correct["id"]
    assert undo["before"]["corrections"] == {"carrier": "Mairie Est"} and undo["after"]["corrections"] == {}


def test_reject_needs_a_reason(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        response = client.post("/api/review/d6", json={"action": "reject"})
        assert response.status_code == 422
        assert "reason" in response.json()["error"]["message"]
        ok = client.post("/api/review/d6", json={"action": "reject", "reason": "pas en QPV"})
        assert ok.json()["item"]["status"] == "rejected"
        client.post("/api/review/d6", json={"action": "reset"})


def test_unknown_field_correction_is_a_clear_error(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        response = client.post("/api/review/d3", json={"action": "correct", "corrections": {"colour": "red"}})
    assert response.status_code == 422
    assert response.json()["error"]["hint"].startswith("editable fields")


def test_bulk_on_a_filter_reports_each_item(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        body = {"action": "validate", "doc_ids": ["nope"], "filters": {"source": "asso-web"}}
        outcome = client.post("/api/review-bulk", json=body).json()
        assert sorted(outcome["done"]) == ["d3", "d5"]
        assert "nope" in outcome["failed"]
        items = client.get("/api/review", params={"status": "validated"}).json()["items"]
        statuses = {i["doc_id"]: i["status"] for i in items}
        assert statuses.get("d3") == "validated" and statuses.get("d5") == "validated"
        client.post("/api/review-bulk", json={"action": "reset", "doc_ids": ["d3", "d5"]})


def test_validation_reaches_the_search_index(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        client.post("/api/review/d1", json={"action": "validate"})
        hits = client.get("/api/search", params={"review_status": "validated"}).json()["hits"]
        client.post("/api/review/d1", json={"action": "reset"})
    assert "d1" in [h["id"] for h in hits]


def test_exports_follow_the_filters(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        client.post("/api/review/d1", json={"action": "validate"})
        csv_text = client.get("/api/exports/csv").text
        lines = client.get("/api/exports/jsonl", params={"status": "all", "min_score": 0.6}).text.splitlines()
        geo = client.get("/api/exports/geojson").json()
        client.post("/api/review/d1", json={"action": "reset"})
    assert csv_text.splitlines()[0].startswith("\ufeffidentifiant;titre")  # French CSV (test_exports_french)
    assert [row.split(";")[0] for row in csv_text.splitlines()[1:]] == ["d1"]
    assert len(lines) == 3  # d1 0.91, d2 0.74, d5 0.62
    (feature,) = geo["features"]
    lon, lat = feature["geometry"]["coordinates"]
    assert 5.1 < lon < 5.3 and 46.1 < lat < 46.3  # inside Bourg-en-Bresse's QPV
    assert feature["properties"]["qpv_code"] == "QN00101M"


def test_saved_search_feeds_atom(app_live: LiveApp) -> None:
    with app_live.client("viewer") as client:
        saved = client.post("/api/saved-searches", json={"name": "recycleries", "text": "recyclerie"}).json()
        feed = client.get(saved["feed"])
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("application/atom+xml")
    assert "<feed" in feed.text and "urn:vigie:doc:d2" in feed.text and "urn:vigie:doc:d1" not in feed.text


def test_unknown_feed_is_404(app_live: LiveApp) -> None:
    with app_live.client() as client:
        assert client.get("/flux/nope.atom").status_code == 404


def test_csv_export_defuses_formulas(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        body = {"action": "correct", "corrections": {"carrier": "=1+2"}}
        audit_id = client.post("/api/review/d5", json=body).json()["audit"]["id"]
        client.post("/api/review/d5", json={"action": "validate"})
        text = client.get("/api/exports/csv").text
        client.post(f"/api/audit/{audit_id}/undo")  # back to pending, no corrections
    rows = {
        row["identifiant"]: row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";")
    }
    assert rows["d5"]["porteur"] == "'=1+2"


def test_queue_filters_page_through_json_fields(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        tech = {"innovation_type": "technologique", "limit": 1}
        first = client.get("/api/review", params=tech).json()["items"]
        second = client.get("/api/review", params={**tech, "offset": 1}).json()["items"]
        dated = {"sort": "date", "commune": "bourg-en-bresse"}
        by_date = client.get("/api/review", params=dated).json()["items"]
    assert [i["doc_id"] for i in first + second] == ["d3", "d6"]
    assert [i["doc_id"] for i in by_date][:2] == ["d6", "d5"]


def test_review_page_shows_the_towns_abroad_of_a_foreign_text(app_live: LiveApp) -> None:
    from core.storage.tables import AnalysisRow, PageRow
    from tests.support.web import login

    analysis = {**make_analysis(DOCS[0]), "id": "be1", "communes": [], "qpv": [], "in_qpv": False}
    analysis["places_abroad"] = [{"name": "Molenbeek-Saint-Jean", "country": "BE"}]
    with app_live.services.session_factory() as session:
        url = "https://exemple.test/be1"
        session.add(PageRow(id="be1", url=url, canonical_url=url, title="Un atelier vélo", text="Bruxelles."))
        session.add(
            AnalysisRow(
                doc_id="be1", result=analysis, is_initiative=True, initiative_score=0.9, doc_kind="press"
            )
        )
        session.commit()
    try:
        client = login(app_live.url, "rita", PASSWORD)
        page, french = client.get("/revue/be1"), client.get("/revue/d1")
        client.close()
        assert page.status_code == 200
        assert re.search(r'id="val-abroad">Molenbeek-Saint-Jean \(BE\)<', page.text)
        assert french.status_code == 200 and 'id="val-abroad"' not in french.text
    finally:
        with app_live.services.session_factory() as session:
            session.delete(session.get(AnalysisRow, "be1"))
            session.delete(session.get(PageRow, "be1"))
            session.commit()


def test_queue_review_page_and_exports_show_where_title_and_date_came_from(app_live: LiveApp) -> None:
    from core.storage.tables import AnalysisRow, PageRow
    from tests.support.web import login

    analysis = {**make_analysis(DOCS[0]), "id": "src1"}
    with app_live.services.session_factory() as session:
        url = "https://exemple.test/src1"
        session.add(
            PageRow(
                id="src1",
                url=url,
                canonical_url=url,
                title="Un jardin partagé",
                date="2024-03-05",
                text="Bourg-en-Bresse.",
                title_source="og:title",
                date_source="headline",
            )
        )
        session.add(
            AnalysisRow(
                doc_id="src1", result=analysis, is_initiative=True, initiative_score=0.99, doc_kind="press"
            )
        )
        session.commit()
    try:
        client = login(app_live.url, "rita", PASSWORD)
        page, queue = client.get("/revue/src1"), client.get("/revue")
        lines = client.get("/api/exports/jsonl", params={"status": "all"}).text.splitlines()
        client.close()
        assert "titre lu dans : og:title · date lue dans : headline" in page.text
        assert "titre : og:title · date : headline" in queue.text
        (record,) = [r for r in (json.loads(line) for line in lines) if r["doc_id"] == "src1"]
        assert (record["title_source"], record["date_source"]) == ("og:title", "headline")
    finally:
        with app_live.services.session_factory() as session:
            session.delete(session.get(AnalysisRow, "src1"))
            session.delete(session.get(PageRow, "src1"))
            session.commit()
