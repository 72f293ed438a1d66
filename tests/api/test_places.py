"""Places on the live app: pickers over the reference data, checked corrections, derived fields, the map."""

from __future__ import annotations

import httpx
import pytest

from tests.support.live_app import PASSWORD, LiveApp
from tests.support.web import login, page_csrf

MOSSON = "QN03405M"  # Mosson, Montpellier (34, region 76); the seeded documents are in Bourg-en-Bresse (84)


def _ids(client: httpx.Client, **filters: str) -> set[str]:
    response = client.get(
        "/api/search", params={"mode": "keyword", "size": 50, "collapse": "false", **filters}
    )
    assert response.status_code == 200, response.text
    return {hit["id"] for hit in response.json()["hits"]}


def test_pickers_suggest_names_from_the_reference(app_live: LiveApp) -> None:
    with app_live.client("viewer") as client:
        communes = client.get("/api/places/communes", params={"q": "montpel"}).json()["items"]
        assert communes[0]["code"] == "34172" and communes[0]["name"] == "Montpellier"
        assert communes[0]["label"] == "Montpellier (34172, Hérault)"
        assert (
            client.get("/api/places/communes", params={"q": "34172"}).json()["items"][0]["name"]
            == "Montpellier"
        )
        qpvs = client.get("/api/places/qpv", params={"q": "mosson"}).json()["items"]
        assert [q["code"] for q in qpvs] == [MOSSON]
        assert qpvs[0]["label"] == "QN03405M — Mosson (Montpellier)" and qpvs[0]["region"] == "Occitanie"
        of_town = client.get("/api/places/qpv", params={"q": "", "commune": "34172", "limit": 50}).json()[
            "items"
        ]
        assert MOSSON in {q["code"] for q in of_town} and all(
            q["communes"] == ["Montpellier"] for q in of_town
        )
        assert client.get("/api/places/qpv", params={"q": "x" * 101}).status_code == 422
    assert httpx.get(f"{app_live.url}/api/places/communes", params={"q": "lyon"}).status_code == 401


def test_an_unknown_qpv_code_is_refused_in_french_and_nothing_changes(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        body = {"action": "correct", "corrections": {"qpv_code": "QN99999X"}}
        response = client.post("/api/review/d1", json=body)
        assert response.status_code == 422
        assert response.json()["error"]["message"] == "Code QPV inconnu : « QN99999X »"
        assert "liste" in response.json()["error"]["hint"]
        assert client.get("/api/review/d1").json()["corrections"] == {}
        derived = client.post(
            "/api/review/d1", json={"action": "correct", "corrections": {"region_codes": ["11"]}}
        )
        assert derived.status_code == 422 and "region_codes" in derived.json()["error"]["message"]


def test_qpv_and_commune_must_agree_unless_the_mismatch_is_assumed(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        body = {"action": "correct", "corrections": {"qpv_code": MOSSON, "commune": "Lyon"}}
        refused = client.post("/api/review/d2", json=body)
        assert refused.status_code == 422
        assert "n'est pas dans la commune Lyon (69123, Rhône)" in refused.json()["error"]["message"]
        assert "incohérence assumée" in refused.json()["error"]["hint"]
        assumed = {
            "action": "correct",
            "corrections": {**body["corrections"], "place_mismatch_assumed": True},
        }
        done = client.post("/api/review/d2", json=assumed)
        assert done.status_code == 200, done.text
        after = done.json()["audit"]["after"]["corrections"]
        assert after["place_mismatch_assumed"] is True and after["commune"] == "Lyon"
        assert after["region_codes"] == ["76", "84"] and after["department_codes"] == ["34", "69"]
        client.post(f"/api/audit/{done.json()['audit']['id']}/undo")
        assert client.get("/api/review/d2").json()["corrections"] == {}


def test_a_qpv_correction_moves_the_commune_region_facets_and_index(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        assert "d5" in _ids(client, region="84") and "d5" not in _ids(client, region="76")
        done = client.post("/api/review/d5", json={"action": "correct", "corrections": {"qpv_code": MOSSON}})
        assert done.status_code == 200, done.text
        item = done.json()["item"]
        assert item["values"]["qpv_code"] == MOSSON and item["values"]["commune"] == "Montpellier"
        assert item["corrections"]["qpv"][0] == {"code": MOSSON, "name": "Mosson", "commune": "Montpellier",
                                                 "insee": "34172"}  # fmt: skip
        assert "d5" in _ids(client, region="76") and "d5" not in _ids(client, region="84")
        assert "d5" in _ids(client, department="34") and "d5" in _ids(client, qpv=MOSSON)
        assert "d5" in _ids(client, commune="34172") and "d5" not in _ids(client, commune="01053")
        facets = client.get("/api/search", params={"mode": "keyword", "facets": "region", "q": "tiers-lieu"})
        assert facets.json()["facets"]["region"].get("76") == 1
        # The text names Bourg-en-Bresse only: the queue flags the chosen QPV.
        web = login(app_live.url, "rita", PASSWORD)
        queue = web.get("/revue", params={"status": "all"}).text
        row = queue[queue.index('id="row-d5"') :].split("</tr>")[0]
        assert "QPV hors des communes du texte" in row and "Mosson (Montpellier)" in row
        assert "QPV hors des communes du texte" not in queue[queue.index('id="row-d1"') :].split("</tr>")[0]
        # The history says what was detected and what it became, with names.
        page = web.get("/revue/d5").text
        history = page[page.index("Historique des actions") :]
        assert "détecté :</small> QN00101M — Grande Reyssouze Terre Des Fleurs (Bourg-en-Bresse)" in history
        assert "→ QN03405M — Mosson (Montpellier)" in history and "→ Montpellier" in history
        assert 'id="badge-mismatch"' in page


def test_the_correction_form_shows_a_french_error_and_keeps_what_was_typed(app_live: LiveApp) -> None:
    web = login(app_live.url, "rita", PASSWORD)
    token = page_csrf(web, "/revue/d3")
    form = {"csrf_token": token, "action": "correct", "qpv_code": "QN99999X", "commune": "Bourg-en-Bresse",
            "name": "Clic Seniors", "carrier": "Centre social Est", "is_initiative": "true",
            "in_qpv": ""}  # fmt: skip
    response = web.post("/revue/d3/action", data=form, headers={"accept": "text/html"})
    assert response.status_code == 422
    assert 'id="erreur-correction"' in response.text and "Code QPV inconnu : « QN99999X »" in response.text
    assert 'value="QN99999X"' in response.text
    with app_live.client("reviewer") as client:
        assert client.get("/api/review/d3").json()["corrections"] == {}
    # A picker label is understood: the QPV's code is read from it, its commune follows.
    form |= {"qpv_code": "QN03405M — Mosson (Montpellier)", "commune": "Bourg-en-Bresse",
             "place_mismatch_assumed": "true"}  # fmt: skip
    assert web.post("/revue/d3/action", data=form).status_code == 303
    with app_live.client("reviewer") as client:
        values = client.get("/api/review/d3").json()["values"]
    assert values["qpv_code"] == MOSSON and values["commune"] == "Bourg-en-Bresse"
    assert values["place_mismatch_assumed"] is True


@pytest.mark.parametrize("params", [{"qpv": MOSSON, "commune": "34172"}, {"commune": "13201"}])
def test_the_review_map_has_the_commune_the_qpv_and_its_neighbours(
    app_live: LiveApp, params: dict[str, str]
) -> None:
    with app_live.client("viewer") as client:
        drawn = client.get("/api/places/carte", params=params).json()
    assert drawn["commune"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    if "qpv" in params:
        assert drawn["qpv"]["properties"]["code_qp"] == MOSSON
        assert drawn["commune"]["properties"]["nom"] == "Montpellier"
        codes = {f["properties"]["code_qp"] for f in drawn["neighbours"]["features"]}
        assert MOSSON not in codes and len(codes) >= 3
    else:  # an arrondissement is drawn with its city's outline
        assert drawn["commune"]["properties"]["code"] == "13055" and drawn["qpv"] is None
    with app_live.client("viewer") as client:
        assert client.get("/api/places/carte", params={"qpv": "QN99999X"}).status_code == 404


def test_a_commune_correction_is_not_blocked_by_a_detected_code_missing_from_the_list(
    app_live: LiveApp,
) -> None:
    """An older QPV code the analysis found stays as detected; the commune alone is corrected."""
    from core.storage.tables import AnalysisRow, PageRow
    from tests.support.live_app import DOCS, make_analysis

    result = make_analysis(DOCS[0])
    result["id"] = "d-ancien"
    result["qpv"][0]["code"] = result["initiatives"][0]["qpv_code"] = "QP001001"  # a 2015 code, not 2024
    with app_live.services.session_factory() as session:
        url = "https://exemple.test/ancien-code"
        session.add(PageRow(id="d-ancien", url=url, canonical_url=url, title="Ancien code", text="Texte."))
        row = AnalysisRow(doc_id="d-ancien", result=result, is_initiative=True, in_qpv=True)
        row.initiative_score, row.doc_kind, row.model_version = 0.91, "press", "test"
        session.add(row)
        session.commit()
    with app_live.client("reviewer") as client:
        body = {"action": "correct", "corrections": {"commune": "Montpellier"}}
        response = client.post("/api/review/d-ancien", json=body)
        assert response.status_code == 200, response.text
        item = client.get("/api/review/d-ancien").json()
        assert item["corrections"]["commune"] == "Montpellier"
        assert "qpv_code" not in item["corrections"]  # nothing the reviewer left alone is lost
        assert item["values"]["qpv_code"] == "QP001001"
        retyped = client.post(
            "/api/review/d-ancien", json={"action": "correct", "corrections": {"qpv_code": "QP001001"}}
        )
        assert retyped.status_code == 422  # typed by the reviewer, the code must be in the list
