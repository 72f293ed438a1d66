"""The commune role model: its features, its weights file, the linker carrying it, its training command.

Short texts written for the tests, the real linker and the real reference data.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.errors import InputError
from core.settings import Settings, get_settings
from nlp.classifiers.gathered import text_sha256
from nlp.geo import GeoLinker
from nlp.geo.role_training import _group_folds, _training_part, load_role_texts, out_of_fold
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
    monkeypatch.delenv("VIGIE_GATHERED_TEXTS", raising=False)
    get_settings.cache_clear()
    (tmp_path / "no-seed.jsonl").write_text("")
    out = tmp_path / "geo_roles"
    args = ["train-geo-roles", "--version", "v-test", "--out", str(out), "--fold-seeds", "0"]
    result = CliRunner().invoke(make_app(), [*args, "--reference", str(reference_dir), "--promote"])
    assert result.exit_code == 0, result.output
    assert "16 gold initiatives" in result.output
    saved = json.loads((out / "v-test" / "weights.json").read_text())
    assert saved["meta"]["n_texts"] == {"seed": 0, "pool": 16, "gathered": 0}
    assert saved["meta"]["cv"][0]["fold_seed"] == 0 and "pool_learned" in saved["meta"]["cv"][0]
    assert (out / "CURRENT").read_text().strip() == "v-test"
    model = load_role_model(out / "v-test")
    assert model is not None and model.version == "v-test" and model.weights
    bad = CliRunner().invoke(make_app(), [*args[:-1], "0,x", "--reference", str(reference_dir)])
    assert bad.exit_code != 0 and "bad --fold-seeds" in str(bad.exception)


GATHERED_TOWNS = [("Albi", "Castres"), ("Vannes", "Lorient")]


def _pool_records() -> list[dict[str, object]]:
    records = []
    for n, ((story, both), (a, b)) in enumerate(((s, t) for s in STORIES for t in TOWNS), start=1):
        records.append(_record(n, story.format(a=a, b=b), [a, b] if both else [a], f"site{n}"))
    return records


def _gathered_records() -> list[dict[str, object]]:
    """Initiatives we gathered: eight on sites of their own, one on the site of the pool's first text."""
    records = []
    for n, ((story, both), (a, b)) in enumerate(((s, t) for s in STORIES for t in GATHERED_TOWNS), start=1):
        record = _record(n, story.format(a=a, b=b), [a, b] if both else [a], f"gathered{n}")
        records.append(record | {"id": f"gx{n:04d}"})
    shared = _record(9, "À Rodez, un atelier vélo solidaire s'installe.", ["Rodez"], "site1")
    return [*records, shared | {"id": "gx0009"}]


def _write_pool(tmp_path: Path, records: list[dict[str, object]], blind: list[str]) -> tuple[Path, Path]:
    pool = tmp_path / "pool.jsonl"
    pool.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    splits = tmp_path / "splits"
    splits.mkdir()
    (splits / "pool-dev.txt").write_text("".join(f"{r['id']}\n" for r in records))
    (splits / "pool-blind.txt").write_text("".join(f"{i}\n" for i in blind))
    return pool, splits


def test_gathered_initiatives_train_in_every_fold_but_are_never_scored(
    linker: GeoLinker, tmp_path: Path
) -> None:
    rules = GeoLinker(linker.ref, linker.gazetteer, roles=None)
    pool, splits = _write_pool(tmp_path, _pool_records(), ["pl0099"])
    texts = load_role_texts(rules, None, pool, splits, None, _gathered_records())
    assert [t.origin for t in texts].count("gathered") == 9 and [t.origin for t in texts].count("pool") == 16
    by_id = {t.id: i for i, t in enumerate(texts)}
    # grouped with all the texts: the gathered text of the pool's first site shares its group
    assert texts[by_id["gx0009"]].group == texts[by_id["pl0001"]].group
    assert texts[by_id["gx0001"]].group != texts[by_id["pl0001"]].group
    folds = _group_folds(texts, 4, seed=0)
    held = sorted(i for test in folds for i in test.tolist())
    assert held == sorted(
        i for i, t in enumerate(texts) if t.origin == "pool"
    )  # a gathered text is never held out
    for test in folds:
        train_ids = {t.id for t in _training_part(texts, test)}
        assert not train_ids & {texts[i].id for i in test}
        assert {f"gx{n:04d}" for n in range(1, 9)} <= train_ids  # the others train in every fold
        # the one on a test text's site stays out of that fold only
        assert ("gx0009" in train_ids) == (by_id["pl0001"] not in test.tolist())
    run = out_of_fold(rules, texts, seed=0, folds=4)
    assert run["pool_learned"]["initiatives"] == run["pool_rules"]["initiatives"] == 16
    assert run["seed_learned"]["initiatives"] == 0
    assert sorted(run["train_only_per_fold"]) == [8, 9, 9, 9]
    assert rules.roles is None  # the linker is left as it came


def test_a_gathered_record_with_a_blind_or_a_repeated_id_is_refused(
    linker: GeoLinker, tmp_path: Path
) -> None:
    rules = GeoLinker(linker.ref, linker.gazetteer, roles=None)
    pool, splits = _write_pool(tmp_path, _pool_records(), ["pl0099"])
    sneaked = _record(99, "À Brest, une recyclerie.", ["Quimper"], "blind")
    with pytest.raises(AssertionError, match="blind"):
        load_role_texts(rules, None, pool, splits, None, [sneaked])
    with pytest.raises(InputError, match="pl0001 read twice"):
        load_role_texts(rules, None, pool, splits, None, [_pool_records()[0]])


def test_train_geo_roles_reads_the_gathered_texts_when_their_file_is_set(
    settings: Settings, tmp_path: Path, reference_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool, splits = _write_pool(tmp_path, _pool_records(), ["pl0099"])
    gathered = _gathered_records()
    labels = tmp_path / "annotations" / "gathered" / "labels.jsonl"
    labels.parent.mkdir(parents=True)
    label_lines = [
        {k: v for k, v in r.items() if k != "text"} | {"text_sha256": text_sha256(str(r["text"]))}
        for r in gathered
    ]
    labels.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in label_lines))
    texts_file = tmp_path / "gathered-texts.jsonl"
    texts_file.write_text(
        "".join(json.dumps({"id": r["id"], "text": r["text"]}, ensure_ascii=False) + "\n" for r in gathered)
    )
    (tmp_path / "no-seed.jsonl").write_text("")
    monkeypatch.setenv("VIGIE_POOL_ANNOTATIONS", str(pool))
    monkeypatch.setenv("VIGIE_SEED_ANNOTATIONS", str(tmp_path / "no-seed.jsonl"))
    monkeypatch.setenv("VIGIE_SPLITS_DIR", str(splits))
    monkeypatch.setenv("VIGIE_ANNOTATIONS_DIR", str(labels.parent.parent))
    monkeypatch.setenv("VIGIE_GATHERED_TEXTS", str(texts_file))
    get_settings.cache_clear()
    out = tmp_path / "geo_roles"
    args = ["train-geo-roles", "--version", "v-g", "--out", str(out), "--fold-seeds", "0"]
    result = CliRunner().invoke(make_app(), [*args, "--reference", str(reference_dir)])
    assert result.exit_code == 0, result.output
    assert "16 gold initiatives, 9 gathered (training only)" in result.output
    meta = json.loads((out / "v-g" / "weights.json").read_text())["meta"]
    assert meta["n_texts"] == {"seed": 0, "pool": 16, "gathered": 9}
    assert meta["cv"][0]["pool_learned"]["initiatives"] == 16  # only the pool's texts are scored
    assert not (out / "CURRENT").exists()  # not promoted without --promote
