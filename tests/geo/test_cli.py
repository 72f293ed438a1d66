"""`vigie evaluate geo` and `vigie reference fetch` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.settings import Settings, get_settings
from vigie.cli import make_app

RECORDS = [
    {
        "id": "t1",
        "text": "Aux Minguettes, à Vénissieux, une épicerie solidaire ouvre ses portes aux habitants.",
        "is_initiative": True,
        "in_qpv": True,
        "communes": ["Vénissieux"],
    },
    {
        "id": "t2",
        "text": "À Rodez, une boutique éphémère de créateurs s'installe en plein centre-ville.",
        "is_initiative": True,
        "in_qpv": False,
        "communes": ["Rodez", "Millau"],
    },
    {
        "id": "t3",
        "text": "Statistiques nationales du chômage.",
        "is_initiative": False,
        "in_qpv": None,
        "communes": [],
    },
]


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records) + "not json\n")
    return path


def test_evaluate_geo_prints_figures(settings: Settings, tmp_path: Path, reference_dir: Path) -> None:
    seed = _write(tmp_path / "seed.jsonl", RECORDS[:1])
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    _write(annotations / "team.jsonl", RECORDS[1:])
    args = ["evaluate", "geo", "--seed", str(seed), "--annotations", str(annotations)]
    result = CliRunner().invoke(make_app(), [*args, "--reference", str(reference_dir), "--json"])
    assert result.exit_code == 0, result.output
    # the last JSON line: log records of other handlers may share the captured output
    figures = json.loads(next(line for line in reversed(result.output.splitlines()) if line.startswith("{")))
    assert figures["documents"] == 3 and figures["initiatives"] == 2
    assert figures["commune_precision"] == 1.0
    assert figures["commune_recall"] == pytest.approx(2 / 3, abs=1e-3)
    assert figures["in_qpv_accuracy"] == 1.0


def test_evaluate_geo_scores_one_half_of_the_ids(
    settings: Settings, tmp_path: Path, reference_dir: Path
) -> None:
    records = [dict(r, id=f"sd000{n}") for n, r in zip((1, 2, 3), RECORDS, strict=True)]
    seed = _write(tmp_path / "seed.jsonl", records)
    base = ["evaluate", "geo", "--seed", str(seed), "--annotations", str(tmp_path / "none")]
    base += ["--reference", str(reference_dir), "--json"]
    runs = {}
    for half in ("odd", "even"):
        result = CliRunner().invoke(make_app(), [*base, "--half", half])
        assert result.exit_code == 0, result.output
        runs[half] = json.loads(next(x for x in reversed(result.output.splitlines()) if x.startswith("{")))
    assert (runs["odd"]["documents"], runs["odd"]["initiatives"], runs["odd"]["half"]) == (2, 1, "odd")
    assert (runs["even"]["documents"], runs["even"]["initiatives"]) == (1, 1)
    assert runs["odd"]["commune_recall"] == 1.0 and runs["even"]["commune_recall"] == 0.5
    bad = CliRunner().invoke(make_app(), [*base, "--half", "third"])
    assert bad.exit_code != 0 and "unknown half 'third'" in str(bad.exception)


def test_evaluate_geo_without_annotations_says_how_to_fix(settings: Settings, tmp_path: Path) -> None:
    result = CliRunner().invoke(make_app(), ["evaluate", "geo", "--seed", str(tmp_path / "missing.jsonl")])
    assert result.exit_code != 0
    assert "annotation file not found" in str(result.exception)


def test_evaluate_geo_scores_the_pool_dev_ids_and_refuses_the_blind_ones(
    settings: Settings, tmp_path: Path, reference_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a throwaway pool and split: pl0001/pl0002 dev, pl0003 blind (its commune would count if read)
    pool = [dict(r, id=f"pl000{n}") for n, r in zip((1, 2, 3), RECORDS, strict=True)]
    pool[2] = dict(RECORDS[1], id="pl0003", communes=["Brest"])
    splits = tmp_path / "splits"
    splits.mkdir()
    (splits / "pool-dev.txt").write_text("pl0001\npl0002\n")
    (splits / "pool-blind.txt").write_text("pl0003\n")
    annotations = tmp_path / "annotations"
    annotations.mkdir()
    # a label correction of a dev id is applied: Millau is no longer expected for pl0002
    (annotations / "pool-corrections.jsonl").write_text('{"id": "pl0002", "communes": ["Rodez"]}\n')
    monkeypatch.setenv("VIGIE_POOL_ANNOTATIONS", str(_write(tmp_path / "pool.jsonl", pool)))
    monkeypatch.setenv("VIGIE_SPLITS_DIR", str(splits))
    monkeypatch.setenv("VIGIE_ANNOTATIONS_DIR", str(annotations))
    get_settings.cache_clear()
    base = ["evaluate", "geo", "--reference", str(reference_dir), "--json"]
    result = CliRunner().invoke(make_app(), [*base, "--pool", "dev"])
    assert result.exit_code == 0, result.output
    figures = json.loads(next(x for x in reversed(result.output.splitlines()) if x.startswith("{")))
    assert (figures["pool"], figures["documents"], figures["initiatives"]) == ("dev", 2, 2)
    assert figures["commune_precision"] == 1.0 and figures["commune_recall"] == 1.0
    assert figures["in_qpv_precision"] == 1.0 and figures["in_qpv_recall"] == 1.0
    odd = CliRunner().invoke(make_app(), [*base, "--pool", "dev", "--half", "odd"])
    odd_figures = json.loads(next(x for x in reversed(odd.output.splitlines()) if x.startswith("{")))
    assert odd_figures["documents"] == 1
    blind = CliRunner().invoke(make_app(), [*base, "--pool", "blind"])
    assert blind.exit_code != 0 and "pool part 'blind' cannot be scored here" in str(blind.exception)
