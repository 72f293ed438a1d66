"""Several initiatives in one text: further label sets stored, checked, exported; training reads the first."""

from __future__ import annotations

from search_api.app.annotation_import import export_adjudicated
from tests.support.live_app import LiveApp

FIRST = {
    "is_initiative": True,
    "in_qpv": True,
    "innovation_types": ["sociale"],
    "communes": ["Bourg-en-Bresse"],
}
SECOND = {
    "name": "Lauréat 2",
    "in_qpv": False,
    "innovation_types": ["services", "sociale"],
    "communes": ["Lyon"],
}


def test_further_initiatives_are_stored_in_order_and_checked(app_live: LiveApp) -> None:
    with app_live.client("annotator") as client:
        stored = client.post("/api/annotations", json={"doc_id": "d1", **FIRST, "initiatives": [SECOND]})
        assert stored.status_code == 200, stored.text
        assert stored.json()["labels"]["initiatives"] == [
            {
                "name": "Lauréat 2",
                "in_qpv": False,
                "innovation_types": ["sociale", "services"],
                "communes": ["Lyon"],
            }
        ]
        assert stored.json()["labels"]["innovation_types"] == ["sociale"]  # the document's: the first's
        bad = {"doc_id": "d1", **FIRST, "initiatives": [{"innovation_types": ["inconnue"]}]}
        refused = client.post("/api/annotations", json=bad)
        assert refused.status_code == 422 and "inconnue" in refused.json()["error"]["message"]
        too_many = {"doc_id": "d1", **FIRST, "initiatives": [SECOND] * 10}
        assert client.post("/api/annotations", json=too_many).status_code == 422


def test_adjudicated_sets_are_exported(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        body = {**FIRST, "initiatives": [SECOND]}
        assert client.post("/api/annotation/d2/adjudicate", json=body).status_code == 200
    with app_live.services.session_factory() as session:
        records = {r["id"]: r for r in export_adjudicated(session)}
    assert records["d2"]["initiatives"][0]["name"] == "Lauréat 2"
    assert records["d2"]["is_initiative"] is True
