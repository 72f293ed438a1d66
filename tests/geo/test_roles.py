"""The commune role model: its features, its weights file, the linker carrying it, its training command.

Short texts written for the tests, the real linker and the real reference data.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.settings import Settings, get_settings
from nlp.geo import GeoLinker
from nlp.geo.roles import RoleModel, load_role_model
from vigie.cli import make_app

STORY = (
    "À Roubaix, dans le quartier de l'Épeule, une recyclerie solidaire ouvre ses portes. L'association, "
    "dont le siège est à Lille, compte également une antenne à Tourcoing."
)


def test_each_french_candidate_gets_one_feature_row_with_the_rules_confidence(linker: GeoLinker) -> None:
    rules = GeoLinker(linker.ref, linker.gazetteer, roles=None)
    result, rows = rules.link_with_features(STORY)
    assert [insee for insee, _ in rows] == [c.insee for c in result.communes]
    by_insee = dict(rows)
    roubaix = next(c for c in result.communes if c.name == "Roubaix")
    features = by_insee[roubaix.insee]
    assert features["rule"] == roubaix.confidence and features["best"] == 1.0
    assert features["p:a"] == 1.0 and features["in_first_sentence"] == 1.0
    lille = next(c for c in result.communes if c.name == "Lille")
    assert by_insee[lille.insee]["s:siege"] == 1.0 and by_insee[lille.insee]["best"] == 0.0
    # a foreign text has no French candidate to describe
    _, foreign = rules.link_with_features("À Liège et à Namur, en Wallonie, une épicerie solidaire ouvre.")
    assert foreign == []


def test_the_threshold_of_the_model_reads_as_a_confidence_of_one_half() -> None:
    model = RoleModel({"rule": 2.0}, -1.0, threshold=0.4)
    # probability 0.4 exactly when 2 * rule - 1 = logit(0.4)
    rule = (1.0 + (-0.405465)) / 2
    assert model.confidence({"rule": rule}) == 0.5
    assert model.confidence({"rule": 0.9}) > 0.5 > model.confidence({"rule": 0.1})
    assert RoleModel.from_json(json.loads(json.dumps(model.to_json()))) == model


def test_a_linker_with_a_model_sets_each_commune_confidence_from_it(linker: GeoLinker) -> None:
    # a model that believes only "the town is the best one": every other town falls below 0.5
    model = RoleModel({"best": 6.0}, -3.0, threshold=0.5, version="test")
    learned = GeoLinker(linker.ref, linker.gazetteer, roles=model)
    communes = learned.link(STORY).communes
    assert [c.name for c in communes if c.confidence >= 0.5] == ["Roubaix"]
    assert all(c.confidence == 0.047 for c in communes[1:])


def test_unreadable_weights_fall_back_to_the_rules_and_say_so_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = tmp_path / "v0"
    broken.mkdir()
    (broken / "weights.json").write_text('{"weights": {"rule": 1.0}, "intercept": 0.0}')  # no threshold
    with caplog.at_level(logging.ERROR, logger="nlp.geo.roles"):
        assert load_role_model(broken) is None
        assert load_role_model(broken) is None
        assert load_role_model(tmp_path / "missing") is None
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and "threshold" in messages[0] and "vigie train-geo-roles" in messages[0]
    bad = tmp_path / "bad.json"
    bad.write_text('{"weights": {}, "intercept": 0.0, "threshold": 1.5}')
    assert load_role_model(bad) is None


def _record(n: int, text: str, communes: list[str], site: str) -> dict[str, object]:
    return {
        "id": f"pl{n:04d}",
        "url": f"https://{site}.example.org/article-{n}",
        "text": text,
        "is_initiative": True,
        "in_qpv": False,
        "communes": communes,
    }


STORIES = [
    ("À {a}, une recyclerie solidaire ouvre ses portes. Son siège est à {b}.", 0),
    ("Le festival de {b} a primé un jardin partagé créé à {a} par des habitants.", 0),
    ("À {a}, un garage solidaire répare les voitures. L'association a également une antenne à {b}.", 0),
    ("Une épicerie solidaire s'installe à {a} et à {b}, dans deux quartiers.", 1),
]
TOWNS = [("Rodez", "Millau"), ("Brest", "Quimper"), ("Nancy", "Metz"), ("Amiens", "Reims")]


def test_train_geo_roles_learns_from_dev_ids_only_and_writes_its_weights(
    settings: Settings, tmp_path: Path, reference_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = []
    for n, ((story, both), (a, b)) in enumerate(((s, t) for s in STORIES for t in TOWNS), start=1):
        records.append(_record(n, story.format(a=a, b=b), [a, b] if both else [a], f"site{n}"))
    # a blind record whose commune labels would be read as candidates if it were loaded
    blind = _record(99, "À Brest, une recyclerie.", ["Quimper"], "blind")
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [*records, blind]))
    splits = tmp_path / "splits"
    splits.mkdir()
    (splits / "pool-dev.txt").write_text("".join(f"{r['id']}\n" for r in records))
    (splits / "pool-blind.txt").write_text("pl0099\n")
    monkeypatch.setenv("VIGIE_POOL_ANNOTATIONS", str(pool))
    monkeypatch.setenv("VIGIE_SEED_ANNOTATIONS", str(tmp_path / "no-seed.jsonl"))
    monkeypatch.setenv("VIGIE_SPLITS_DIR", str(splits))
    get_settings.cache_clear()
    (tmp_path / "no-seed.jsonl").write_text("")
    out = tmp_path / "geo_roles"
    args = ["train-geo-roles", "--version", "v-test", "--out", str(out), "--fold-seeds", "0"]
    result = CliRunner().invoke(make_app(), [*args, "--reference", str(reference_dir), "--promote"])
    assert result.exit_code == 0, result.output
    assert "16 gold initiatives" in result.output
    saved = json.loads((out / "v-test" / "weights.json").read_text())
    assert saved["meta"]["n_texts"] == {"seed": 0, "pool": 16}
    assert saved["meta"]["cv"][0]["fold_seed"] == 0 and "pool_learned" in saved["meta"]["cv"][0]
    assert (out / "CURRENT").read_text().strip() == "v-test"
    model = load_role_model(out / "v-test")
    assert model is not None and model.version == "v-test" and model.weights
    bad = CliRunner().invoke(make_app(), [*args[:-1], "0,x", "--reference", str(reference_dir)])
    assert bad.exit_code != 0 and "bad --fold-seeds" in str(bad.exception)
