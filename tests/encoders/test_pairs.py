"""Training pairs come from the seed and the pool's dev ids only; blind lines are never decoded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import ConfigError
from nlp.classifiers.examples import TrainingExample
from nlp.encoders.pairs import (
    SPLITS_DIR,
    TRAIN_QUERIES,
    label_similarity,
    load_real_texts,
    make_label_pairs,
    make_query_pairs,
    read_id_list,
    split_holdout,
)


@pytest.fixture(scope="module")
def real_texts(shared_dir: Path) -> list[TrainingExample]:
    data = shared_dir / "data"
    return load_real_texts(data / "annotations-seed" / "seed.jsonl", data / "annotations-pool" / "pool.jsonl")


def test_texts_are_the_seed_and_the_pool_dev_ids_never_blind(real_texts: list[TrainingExample]) -> None:
    dev, blind = read_id_list(SPLITS_DIR / "pool-dev.txt"), read_id_list(SPLITS_DIR / "pool-blind.txt")
    ids = [t.id for t in real_texts]
    assert len(ids) == len(set(ids))
    assert not set(ids) & blind
    pool_ids = {i for i in ids if i.startswith("pl")}
    assert pool_ids == dev and len(ids) - len(pool_ids) == 351
    assert {t.origin for t in real_texts} == {"seed", "pool-dev"}


def test_blind_lines_are_skipped_before_being_decoded(tmp_path: Path) -> None:
    record = {
        "text": "Un jardin partagé ouvre au pied des tours.",
        "is_initiative": True,
        "doc_kind": "press",
    }
    pool = tmp_path / "pool.jsonl"
    pool.write_text(
        json.dumps({"id": "pl1", **record}) + "\n" + '{"id": "pl2", this line is not JSON\n', encoding="utf-8"
    )
    (tmp_path / "dev.txt").write_text("pl1\n")
    (tmp_path / "blind.txt").write_text("pl2\n")
    texts = load_real_texts(None, pool, tmp_path / "dev.txt", tmp_path / "blind.txt")
    assert [t.id for t in texts] == ["pl1"]
    (tmp_path / "dev.txt").write_text("pl1\npl2\n")
    with pytest.raises(ConfigError, match="both dev and blind"):
        load_real_texts(None, pool, tmp_path / "dev.txt", tmp_path / "blind.txt")


def test_label_pairs_are_seeded_and_never_join_one_group(real_texts: list[TrainingExample]) -> None:
    first = make_label_pairs(real_texts, 4, seed=13)
    assert first == make_label_pairs(real_texts, 4, seed=13)
    assert first != make_label_pairs(real_texts, 4, seed=14)
    groups = {t.id: t.group for t in real_texts}
    assert all(groups[a] != groups[b] for a, b in (p.ids for p in first))
    assert len(first) > 3 * len(real_texts)
    assert all(p.first.startswith("passage: ") and len(p.first) <= len("passage: ") + 500 for p in first)
    targets = [p.target for p in first]
    assert all(t is not None and 0.0 <= t <= 1.0 for t in targets)
    assert min(targets) < 0.3 and max(targets) > 0.9  # both ends of the label similarity appear


def test_label_similarity_weighs_the_three_tasks() -> None:
    a = TrainingExample("a", "x", True, innovation_types=["sociale", "services"], doc_kind="press")
    b = TrainingExample("b", "y", True, innovation_types=["sociale"], doc_kind="association")
    c = TrainingExample("c", "z", False, doc_kind="press")
    assert label_similarity(a, a) == 1.0
    assert label_similarity(a, b) == pytest.approx(0.5 + 0.25 * 0.5)
    assert label_similarity(a, c) == pytest.approx(0.25)


def test_query_pairs_never_come_from_evaluation_sets(
    tmp_path: Path, real_texts: list[TrainingExample]
) -> None:
    line = {"qid": "o1", "query": "jardin partagé", "relevant": {"sd0001": 2, "sd0002": 1, "pl9999": 2}}
    for name in ("my-train.jsonl", "analyst_open.jsonl", "analyst_blind.jsonl", "mine-blind.jsonl"):
        (tmp_path / name).write_text(json.dumps(line) + "\n", encoding="utf-8")
    pairs = make_query_pairs([tmp_path / "my-train.jsonl"], real_texts, seed=1)
    # Grade 2 and present among the training texts only: sd0002 is grade 1, pl9999 is not a dev text.
    assert [(p.first, p.ids) for p in pairs] == [("query: jardin partagé", ("query", "sd0001"))]
    for name in ("analyst_open.jsonl", "analyst_blind.jsonl", "mine-blind.jsonl"):
        with pytest.raises(ConfigError, match="evaluation query set"):
            make_query_pairs([tmp_path / name], real_texts, seed=1)
    with pytest.raises(ConfigError, match="does not exist"):
        make_query_pairs([tmp_path / "absent.jsonl"], real_texts, seed=1)


def test_the_training_query_set_points_at_dev_texts_of_the_training_part(
    real_texts: list[TrainingExample],
) -> None:
    lines = [json.loads(x) for x in TRAIN_QUERIES.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(lines) >= 150 and len({x["qid"] for x in lines}) == len(lines)
    ids = {doc for x in lines for doc in x["relevant"]}
    assert not ids & read_id_list(SPLITS_DIR / "pool-blind.txt")
    training, held_out = split_holdout(real_texts, 0.2)
    assert ids <= {t.id for t in training} and not ids & {t.id for t in held_out}
    pairs = make_query_pairs([TRAIN_QUERIES], training, seed=13)
    assert len(pairs) == len(lines)
    assert all(p.first.startswith("query: ") and p.second.startswith("passage: ") for p in pairs)
