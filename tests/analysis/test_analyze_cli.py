"""`vigie analyze`: the JSONL contract, bad input per line, and the stored-pages mode."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from core.domain import Analysis
from core.settings import Settings
from core.storage.tables import AnalysisRow, PageRow
from tests.support.cli import run_vigie
from tests.support.jsonl import write_jsonl
from vigie.cli import make_app

CONTRACT_KEYS = {
    "id", "is_initiative", "initiative_score", "innovation_types", "type_scores", "in_qpv", "qpv",
    "communes", "doc_kind", "initiatives",
}  # fmt: skip
INITIATIVE = (
    "L'association Les Jardins de Kervénanec a lancé le projet « Paniers Solidaires » dans le quartier "
    "prioritaire de Kervénanec à Lorient. Des habitants en insertion cultivent des légumes vendus à prix "
    "réduit aux familles du quartier, avec le soutien de la Ville de Lorient."
)


def test_malformed_line_is_reported_and_others_analysed(analysis_settings: Settings, tmp_path: Path) -> None:
    src = write_jsonl(
        tmp_path / "in.jsonl",
        [{"id": "a", "text": INITIATIVE}, '{"id": "b", "text": ', {"id": "c", "text": "Le budget est voté."}],
    )
    out = tmp_path / "out.jsonl"
    proc = run_vigie(["analyze", str(src), "--output", str(out)])
    assert proc.returncode == 2, proc.stderr
    assert "line 2" in proc.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in lines] == ["a", "c"]
    assert all(set(x) >= CONTRACT_KEYS for x in lines)
    first = Analysis.from_contract(lines[0])
    assert first.is_initiative and first.in_qpv is True
    assert first.qpv and first.qpv[0].commune == "Lorient"
    assert first.initiatives[0].name == "Paniers Solidaires" and first.initiatives[0].evidence
    assert set(first.type_scores) == {"sociale", "technologique", "territoriale", "marketing", "services"}


def test_robustness_one_outcome_per_line(analysis_settings: Settings, tmp_path: Path) -> None:
    huge = ("Les habitants du quartier se retrouvent au jardin partagé chaque semaine. " * 70000)[:5_000_000]
    rows: list[object] = [
        {"id": "empty", "text": ""},
        {"id": "huge", "text": huge},
        {"id": "html", "text": f"<html><body><p>{INITIATIVE}</p><div>Suite</div></body></html>"},
        {"id": "english", "text": "The city council approved a new housing plan for the borough this week."},
        {"id": "czech", "text": "Městská rada dnes schválila nový plán bydlení pro celou čtvrť a obyvatele."},
        {"id": "ctrl", "text": INITIATIVE.replace(" ", "\x00 ", 3) + "\x1b"},
        b'{"id": "latin1", "text": "caf\xe9"}',
        {"text": "no id"},
        '["not", "an", "object"]',
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    # Line 7 is not UTF-8: surrogateescape hands the file's exact bytes to the command's stdin.
    raw = src.read_bytes().decode("utf-8", "surrogateescape")
    proc = run_vigie(["analyze", "-", "--output", "-"], input=raw)
    assert proc.returncode == 2
    err = proc.stderr
    assert "line 7: invalid UTF-8" in err and "line 8: missing or empty 'id'" in err and "line 9" in err
    out = {x["id"]: x for x in map(json.loads, proc.stdout.splitlines())}
    assert list(out) == ["empty", "huge", "html", "english", "czech", "ctrl"]
    assert any("empty_text" in w for w in out["empty"]["warnings"]) and not out["empty"]["is_initiative"]
    assert any("long_text" in w for w in out["huge"]["warnings"])
    assert out["html"]["is_initiative"] and any("html_stripped" in w for w in out["html"]["warnings"])
    assert out["english"]["lang"] == "en" and not out["english"]["is_initiative"]
    # Not analysed, and the output says why (never a silent skip); analysed texts have skipped=None.
    assert out["english"]["skipped"] == "language=en" and out["czech"]["skipped"] == "language=cs"
    assert out["empty"]["skipped"] == "empty_text" and out["html"]["skipped"] is None
    assert any("control_chars" in w for w in out["ctrl"]["warnings"])


def test_stored_pages_analysed_once_until_changed_js_pages_skipped(analysis_settings: Settings, db) -> None:  # type: ignore[no-untyped-def]
    _, factory = db
    with factory() as session, session.begin():
        session.add_all([PageRow(id="p1", text=INITIATIVE), PageRow(id="p2", text="Le budget est voté.")])
        session.add(PageRow(id="js", text="", js_rendered=True))  # built by JavaScript: nothing to judge
    runner = CliRunner()
    first = runner.invoke(make_app(), ["analyze"])
    assert first.exit_code == 0, first.output
    with factory() as session:
        rows = {r.doc_id: r for r in session.scalars(select(AnalysisRow))}
        assert set(rows) == {"p1", "p2"} and rows["p1"].is_initiative
        assert rows["p1"].result["initiative_score"] == rows["p1"].initiative_score
        stamp = rows["p2"].analysed_at
    with factory() as session, session.begin():
        session.get(PageRow, "p1").text = INITIATIVE + " Le projet sera étendu en 2025."  # type: ignore[union-attr]
    assert "analysed 1 pages" in runner.invoke(make_app(), ["analyze"]).output
    with factory() as session:
        assert session.get(AnalysisRow, "p2").analysed_at == stamp  # type: ignore[union-attr]
    assert "analysed 2 pages" in runner.invoke(make_app(), ["analyze", "--all"]).output
