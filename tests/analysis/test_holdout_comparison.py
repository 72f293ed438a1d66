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
from nlp.classifiers.training import TrainConfig, compare_with_current, train_all

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
    meta = json.loads((model_dir / "types" / "vnew" / "meta.json").read_text(encoding="utf-8"))
    assert meta["compare_with_current"] == comparison
    assert read_current(model_dir)["initiative"] == "vtest"  # comparing never promotes

    # The promoted model's initiative F1, recomputed straight from its estimator on the held-out texts.
    held = [e for e, m in zip(small_examples, mask, strict=True) if m]
    model = load_models(model_dir).models["initiative"].estimator
    predicted = (model.decision_scores(TextBatch([e.text for e in held])) >= model.threshold_).astype(int)
    truth = [int(e.is_initiative) for e in held]
    assert comparison["current"]["initiative_f1"] == round(f1_score(truth, predicted, zero_division=0), 3)


def test_no_comparison_without_promoted_models(small_examples: list[TrainingExample], tmp_path: Path) -> None:
    data = make_task_data(small_examples[:10], None)
    n, k = len(small_examples[:10]), data.types.shape[1]
    zeros = np.zeros(n, dtype=int)
    oof = OutOfFold(
        zeros * 0.0, zeros, zeros * 0.0, zeros, np.zeros((n, k)), np.zeros((n, k), dtype=int), zeros
    )
    assert compare_with_current(data, oof, tmp_path / "models") is None
