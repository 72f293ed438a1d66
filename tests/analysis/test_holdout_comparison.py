"""New against current models on the same held-out examples: split, figures, meta.json."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from nlp.classifiers.evaluation import HOLDOUT_SHARE, OutOfFold, holdout_mask, make_task_data
from nlp.classifiers.examples import TrainingExample
from nlp.classifiers.features import TextBatch
from nlp.classifiers.models import load_models
from nlp.classifiers.store import read_current
from nlp.classifiers.training import TrainConfig, compare_with_current, example_id_hashes, train_all

FIGURES = {
    "initiative_f1",
    "initiative_precision",
    "initiative_recall",
    "initiative_in_qpv_f1",
    "types_micro_f1",
    "types_macro_f1",
}


def test_holdout_split_is_stable_and_by_group() -> None:
    groups = np.array([f"site:{i % 200}.fr" for i in range(1000)], dtype=object)
    mask = holdout_mask(groups)
    assert np.array_equal(mask, holdout_mask(groups[::-1])[::-1])  # order does not matter
    for group in set(groups):  # a group is wholly in or wholly out
        assert len(set(mask[groups == group])) == 1
    assert abs(mask.mean() - HOLDOUT_SHARE) < 0.08


def test_training_scores_candidate_and_promoted_models_on_the_same_holdout(
    small_model_dir: Path, small_examples: list[TrainingExample], tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(small_model_dir, model_dir)  # promoted "vtest", trained on every example
    config = TrainConfig(char_ngrams=False, folds=2)
    report = train_all(small_examples, model_dir, config=config, version="vnew")
    comparison = report["compare_with_current"]
    assert comparison["current_version"] == "vtest"
    assert set(comparison["candidate"]) == set(comparison["current"]) == FIGURES
    mask = holdout_mask(make_task_data(small_examples, None).groups)
    assert comparison["n_holdout"] == int(mask.sum()) > 0
    # Retrained on the same examples: the promoted model saw every held-out one, and says so.
    assert comparison["current_seen"] == comparison["n_compared"] == comparison["n_holdout"]
    meta = json.loads((model_dir / "types" / "vnew" / "meta.json").read_text(encoding="utf-8"))
    assert meta["compare_with_current"] == comparison
    assert read_current(model_dir)["initiative"] == "vtest"  # comparing never promotes

    held = [e for e, m in zip(small_examples, mask, strict=True) if m]
    assert comparison["current"]["initiative_f1"] == _direct_f1(model_dir, held)


def _direct_f1(model_dir: Path, held: list[TrainingExample]) -> float:
    """The promoted model's initiative F1, recomputed straight from its estimator."""
    model = load_models(model_dir).models["initiative"].estimator
    predicted = (model.decision_scores(TextBatch([e.text for e in held])) >= model.threshold_).astype(int)
    truth = [int(e.is_initiative) for e in held]
    return float(round(f1_score(truth, predicted, zero_division=0), 3))


def _zero_oof(n: int, k: int) -> OutOfFold:
    zeros = np.zeros(n, dtype=int)
    return OutOfFold(
        zeros * 0.0, zeros, zeros * 0.0, zeros, np.zeros((n, k)), np.zeros((n, k), dtype=int), zeros
    )


def test_comparison_keeps_the_held_out_examples_the_promoted_models_never_saw(
    small_model_dir: Path, small_examples: list[TrainingExample], tmp_path: Path
) -> None:
    model_dir = tmp_path / "models"
    shutil.copytree(small_model_dir, model_dir)
    data = make_task_data(small_examples, None)
    held = [e for e, m in zip(small_examples, holdout_mask(data.groups), strict=True) if m]
    unseen = held[::2]  # pretend the promoted models were trained without these
    meta_path = model_dir / "initiative" / "vtest" / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta["example_id_hashes"] = example_id_hashes([e.id for e in small_examples if e not in unseen])
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    ids = [e.id for e in small_examples]
    comparison = compare_with_current(data, _zero_oof(len(ids), data.types.shape[1]), model_dir, ids=ids)
    assert comparison is not None
    assert comparison["n_compared"] == len(unseen) and comparison["current_seen"] == len(held) - len(unseen)
    assert comparison["current"]["initiative_f1"] == _direct_f1(model_dir, unseen)


def test_no_comparison_without_promoted_models(small_examples: list[TrainingExample], tmp_path: Path) -> None:
    data = make_task_data(small_examples[:10], None)
    n, k = len(small_examples[:10]), data.types.shape[1]
    zeros = np.zeros(n, dtype=int)
    oof = OutOfFold(
        zeros * 0.0, zeros, zeros * 0.0, zeros, np.zeros((n, k)), np.zeros((n, k), dtype=int), zeros
    )
    assert compare_with_current(data, oof, tmp_path / "models") is None


def test_vigie_train_prints_the_comparison_side_by_side(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    from vigie.commands import models_report

    console = Console(record=True, width=120)
    monkeypatch.setattr(models_report, "out", console)
    figures = {"initiative_f1": 0.8, "types_micro_f1": 0.7}
    comparison = {"current_version": "v1", "n_holdout": 40, "n_compared": 12, "current_seen": 28}
    models_report.print_comparison(
        comparison | {"candidate": figures, "current": figures | {"initiative_f1": 0.9}}
    )
    models_report.print_comparison(comparison | {"current_seen": None, "skipped": "no embedder"})
    text = " ".join(console.export_text().split())  # table titles wrap
    assert "12 of 40 held-out examples, 28 seen by the current models" in text
    assert "│ initiative_f1 │ 0.800 │ 0.900 │ -0.100 │" in text
    assert "unknown how many the current models saw: skipped (no embedder)" in text
