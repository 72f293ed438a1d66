"""External labels through the annotation workflow on a real SQLite database: import, agreement,
adjudication, export, and the `vigie annotations` commands end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from core.errors import InputError
from core.storage.tables import AuditRow, PageRow
from search_api.app import annotation
from search_api.app import annotation_import as svc
from search_api.app.annotation_agreement import FieldAgreement, pair_agreement
from tests.support.live_app import PASSWORD, LiveApp
from tests.support.web import login, page_csrf
from vigie.cli import make_app

TEXTS = [
    {"id": "pl0001", "url": "https://a.test/1", "text": "Le jardin partagé des Izards ouvre à Toulouse."},
    {"id": "pl0002", "url": "https://b.test/2", "text": "Appel à projets 2025 : dépôt avant le 1er mars."},
    {
        "id": "pl0003",
        "url": "https://c.test/3",
        "text": "Une recyclerie ouvre à Saint-Denis avec des emplois.",
    },
    {"id": "pl0004", "url": "https://d.test/4", "text": "Texte tenu à l'écart (partie aveugle)."},
]
FIRST = [
    {"id": "pl0001", "is_initiative": True, "in_qpv": True, "innovation_types": ["sociale"],
     "doc_kind": "press", "communes": ["Toulouse"], "text": "ignored"},
    {"id": "pl0002", "is_initiative": False, "in_qpv": None, "innovation_types": [],
     "doc_kind": "call_for_projects", "communes": []},
    {"id": "pl0003", "is_initiative": True, "in_qpv": None, "innovation_types": ["sociale", "services"],
     "doc_kind": "association", "communes": ["Saint-Denis"]},
    {"id": "pl0004", "is_initiative": True, "in_qpv": None, "innovation_types": ["sociale"],
     "doc_kind": "press", "communes": []},
]  # fmt: skip
SECOND = [
    {"id": "pl0001", "is_initiative": True, "in_qpv": True, "innovation_types": ["sociale", "territoriale"],
     "doc_kind": "press", "communes": ["toulouse"]},
    {"id": "pl0002", "is_initiative": False, "in_qpv": None, "innovation_types": [],
     "doc_kind": "call_for_projects", "communes": []},
    {"id": "pl0003", "is_initiative": True, "in_qpv": None, "innovation_types": ["sociale", "services"],
     "doc_kind": "press", "communes": ["Saint Denis"]},
]  # fmt: skip


def write_jsonl(path: Path, records: list[dict[str, Any]], extra: str = "") -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records) + extra, "utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "texts": write_jsonl(tmp_path / "pool.jsonl", TEXTS),
        "first": write_jsonl(tmp_path / "first.jsonl", FIRST),
        "second": write_jsonl(tmp_path / "second.jsonl", SECOND),
        "blind": _write(tmp_path / "blind.txt", "pl0004\n"),
    }


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _import(factory: Any, files: dict[str, Path], name: str, annotator: str) -> svc.ImportReport:
    lines, report = svc.read_label_file(files[name], excluded=svc.read_id_list(files["blind"]))
    with factory() as session:
        report.documents_created = svc.import_documents(session, files["texts"], [x.doc_id for x in lines])
        return svc.import_labels(session, lines, annotator, report)


def test_import_creates_documents_keeps_doc_kind_and_skips_blind_ids(db, files) -> None:  # type: ignore[no-untyped-def]
    _, factory = db
    report = _import(factory, files, "first", "pool-first")
    assert (report.read, report.imported, report.left_out, report.documents_created) == (4, 3, 1, 3)
    with factory() as session:
        assert session.get(PageRow, "pl0004") is None  # the excluded (blind) id never becomes a document
        assert session.get(PageRow, "pl0001").text == TEXTS[0]["text"]
        labels = svc.labels_by_doc(session, "pool-first")
    assert labels["pl0002"]["doc_kind"] == "call_for_projects" and "text" not in labels["pl0001"]
    assert _import(factory, files, "second", "pool-second").documents_created == 0  # already stored


def test_bad_lines_are_reported_and_never_stop_the_batch(db, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, factory = db
    bad = [{**FIRST[0], "innovation_types": ["magique"]}, {**FIRST[1], "doc_kind": "blog"}, FIRST[2]]
    files["first"] = write_jsonl(tmp_path / "bad.jsonl", bad, extra="{not json\n")
    with files["first"].open("ab") as handle:  # a line that is not UTF-8 is one more bad line, not a crash
        handle.write(b'{"id": "pl0009", "notes": "caf\xe9"}\n')
    report = _import(factory, files, "first", "pool-first")
    assert report.imported == 1 and len(report.errors) == 4
    assert any(e.startswith("bad.jsonl:5: invalid UTF-8") for e in report.errors)
    assert any("unknown innovation type" in e for e in report.errors)
    assert any("unknown doc_kind" in e for e in report.errors)
    assert any(e.startswith("bad.jsonl:4") for e in report.errors)
    with pytest.raises(InputError, match="reserved"):
        svc.import_labels(factory(), [], annotation.ADJUDICATION, svc.ImportReport())


def _row(rows: list[FieldAgreement], name: str) -> FieldAgreement:
    return next(r for r in rows if r.field == name)


def test_pair_agreement_kappa_and_commune_f1() -> None:
    first = {r["id"]: r for r in FIRST[:3]}
    second = {r["id"]: r for r in SECOND}
    rows = pair_agreement(first, second)
    assert _row(rows, "is_initiative").kappa == 1.0
    doc_kind = _row(rows, "doc_kind")  # 2 of 3 agree; labels press/call/association vs press/call/press
    assert doc_kind.agreement == pytest.approx(2 / 3, abs=1e-4) and doc_kind.kappa == pytest.approx(0.5)
    territoriale = _row(rows, "type territoriale (both initiatives)")
    assert territoriale.items == 2 and territoriale.f1 == 0.0
    communes = _row(rows, "communes F1 (all texts)")  # "Saint Denis" = "Saint-Denis", "toulouse" = "Toulouse"
    assert communes.f1 == 1.0 and communes.agreement == 1.0
    assert _row(rows, "types micro-F1 (both initiatives)").f1 == pytest.approx(0.8571, abs=1e-4)


def test_disagreements_adjudication_and_export_of_corrections(db, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, factory = db
    _import(factory, files, "first", "pool-first")
    _import(factory, files, "second", "pool-second")
    with factory() as session:
        disputes = {d["doc_id"]: d["fields"] for d in annotation.disagreements(session)}
    assert disputes == {"pl0001": ["type:territoriale"], "pl0003": ["doc_kind"]}
    decisions = write_jsonl(
        tmp_path / "decisions.jsonl",
        [
            {"id": "pl0001", "base": "pool-first", "innovation_types": ["territoriale", "sociale"]},
            {"id": "pl0003", "base": "pool-first"},  # the first labels stand
            {"id": "pl0009", "is_initiative": True},  # no such document
        ],
    )
    with factory() as session:
        report = svc.adjudicate_file(session, decisions, "rita")
        assert report.imported == 2 and "pl0009" in report.errors[0]
        assert annotation.disagreements(session) == []
        audit = session.scalars(select(AuditRow).where(AuditRow.action == "adjudicate")).all()
        assert {a.doc_id for a in audit} == {"pl0001", "pl0003"} and {a.actor for a in audit} == {"rita"}
        corrections = svc.export_adjudicated(session, against="pool-first", source="adjudicated 2026-12-06")
        everything = svc.export_adjudicated(session)
    assert corrections == [
        {"id": "pl0001", "innovation_types": ["sociale", "territoriale"], "source": "adjudicated 2026-12-06"}
    ]
    assert [r["id"] for r in everything] == ["pl0001", "pl0003"]
    assert all("text" not in r for r in everything) and everything[1]["doc_kind"] == "association"


def test_a_label_set_without_doc_kind_is_no_doc_kind_disagreement(db, files) -> None:  # type: ignore[no-untyped-def]
    _, factory = db
    _import(factory, files, "first", "pool-first")
    web_form = {k: v for k, v in FIRST[1].items() if k not in ("id", "doc_kind")}  # the form has no doc_kind
    with factory() as session:
        annotation.save_annotation(session, "pl0002", "anna", web_form)
        assert annotation.disagreements(session) == []
        annotation.save_annotation(session, "pl0002", "bob", {**web_form, "doc_kind": "press"})
        assert annotation.disagreements(session) == [
            {
                "doc_id": "pl0002",
                "fields": ["doc_kind"],
                "annotators": ["anna", "bob", "pool-first"],
                "title": None,  # imported labels without a stored page: no title to show
            }
        ]


def test_non_initiative_decision_drops_place_and_types() -> None:
    base = {"is_initiative": True, "in_qpv": True, "innovation_types": ["sociale"], "communes": ["Brest"]}
    final = svc.complete_decision({"is_initiative": False}, base)
    assert final == {"is_initiative": False, "in_qpv": None, "innovation_types": [], "communes": []}


def test_cli_import_agreement_adjudicate_export(settings, files, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    runner, app = CliRunner(), make_app()
    for name, who in (("first", "pool-first"), ("second", "pool-second")):
        args = ["annotations", "import", str(files[name]), "--annotator", who, "--texts", str(files["texts"])]
        result = runner.invoke(app, [*args, "--exclude-ids", str(files["blind"])])
        assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["annotations", "agreement", "--first", "pool-first", "--second", "pool-second"]
    )
    assert result.exit_code == 0 and "| is_initiative | 3 | 1.000 |" in result.stdout
    disputes = runner.invoke(app, ["annotations", "disagreements"]).stdout.splitlines()
    assert [json.loads(line)["doc_id"] for line in disputes] == ["pl0001", "pl0003"]
    decisions = write_jsonl(tmp_path / "d.jsonl", [{"id": "pl0003", "base": "pool-second"}])
    result = runner.invoke(app, ["annotations", "adjudicate", str(decisions), "--actor", "rita"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "corrections.jsonl"
    args = ["annotations", "export", "--adjudicated", str(out), "--against", "pool-first", "--source", "x"]
    assert runner.invoke(app, args).exit_code == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines == [{"id": "pl0003", "doc_kind": "press", "source": "x"}]  # "Saint Denis" = "Saint-Denis"
    args = ["annotations", "import", str(files["texts"]), "--annotator", "x", "--texts", str(files["texts"])]
    bad = runner.invoke(app, [*args, "--exclude-ids", str(files["blind"])])
    assert bad.exit_code == 1  # texts without labels: every line is refused with a reason


def test_doc_kind_disagreement_settled_through_the_web_form(app_live: LiveApp) -> None:
    base = {"is_initiative": True, "in_qpv": None, "innovation_types": ["sociale"], "communes": []}
    for role, kind in (("annotator", "press"), ("reviewer", "association")):
        with app_live.client(role) as client:
            response = client.post("/api/annotations", json={"doc_id": "d6", **base, "doc_kind": kind})
            assert response.status_code == 200 and response.json()["labels"]["doc_kind"] == kind
    client = login(app_live.url, "rita", PASSWORD)
    assert '<span class="code">d6</span> — type de document' in client.get("/accord").text  # French names
    page = client.get("/accord/d6").text
    assert "<td>association</td>" in page and 'name="doc_kind"' in page
    final = {"csrf_token": page_csrf(client, "/accord/d6"), "is_initiative": "true", "doc_kind": "press"}
    assert client.post("/accord/d6", data=final).status_code == 303
    assert 'href="/accord/d6"' not in client.get("/accord").text
    client.close()
    with app_live.client("reviewer") as api:
        bad = api.post("/api/annotation/d6/adjudicate", json={**base, "doc_kind": "blog"})
    assert bad.status_code == 422 and "unknown doc_kind" in bad.text
