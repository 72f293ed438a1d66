"""The CSV export opens in French spreadsheet software: BOM, `;`, French headers and values."""

from __future__ import annotations

import csv
import io

from search_api.app.routes.exports import CSV_COLUMNS, to_csv
from tests.support.live_app import LiveApp


def _rows(body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM: French Excel would read the accents wrong"
    reader = csv.DictReader(io.StringIO(body[3:].decode("utf-8"), newline=""), delimiter=";")
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def test_csv_bytes_are_french(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        client.post("/api/review/d1", json={"action": "validate"})
        client.post("/api/review/d3", json={"action": "validate"})
        response = client.get("/api/exports/csv")
        client.post("/api/review/d1", json={"action": "reset"})
        client.post("/api/review/d3", json={"action": "reset"})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    headers, rows = _rows(response.content)
    assert headers == [h for h, _ in CSV_COLUMNS]
    assert headers[:4] == ["identifiant", "titre", "adresse", "source"] and "types d'innovation" in headers
    by_id = {r["identifiant"]: r for r in rows}
    assert set(by_id) == {"d1", "d3"}
    d1, d3 = by_id["d1"], by_id["d3"]
    assert d1["titre"] == "Un jardin partagé au cœur du quartier de la Reyssouze"  # accents intact
    assert d1["score"] == "0,91" and d1["statut"] == "validée" and d1["date"] == "15/01/2026"
    assert d1["en QPV"] == "oui" and d3["en QPV"] == "inconnu"
    assert d1["code QPV"] == "QN00101M" and d1["nom du QPV"] == "Grande Reyssouze Terre Des Fleurs"
    assert d1["types d'innovation"] == "sociale, territoriale"
    assert b"True" not in response.content and b"False" not in response.content


def test_csv_keeps_separators_inside_cells_and_defuses_formulas() -> None:
    record = {"doc_id": "x", "title": "Un titre; avec « guillemets » et ;", "carrier": "=1+2",
              "score": 1234.5,
              "in_qpv": False, "innovation_types": [], "date": "pas une date"}  # fmt: skip
    headers, rows = _rows(to_csv([record]).encode("utf-8"))
    (row,) = rows
    assert row["titre"] == "Un titre; avec « guillemets » et ;"
    assert row["porteur"] == "'=1+2" and row["score"] == "1234,5" and row["en QPV"] == "non"
    assert row["date"] == "pas une date" and row["nom du QPV"] == ""
