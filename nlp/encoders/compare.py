"""Bundled against fine-tuned encoder: simple logistic-regression heads on each one's vectors (real texts).

Three readings, each for initiative F1, document-kind accuracy and innovation-types micro-F1 (over true
initiatives):
- ``held_out``: heads fitted on the texts the encoder was fine-tuned on, scored on the held-out groups
  (`pairs.split_holdout`), which no encoder saw: the fair comparison.
- ``cv_held_out``: grouped 5-fold CV inside the held-out texts only (no text any encoder trained on).
- ``cv_all``: grouped 5-fold CV over seed + pool dev, as for the classifiers; optimistic for a fine-tuned
  encoder (it saw the labels of 80 % of these texts), reported for reference only.
Vectors are those of the first 500 characters with the "passage: " prefix (the classifiers' first piece).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from core.domain import INNOVATION_TYPES
from core.protocols import Embedder
from nlp.classifiers.examples import TrainingExample
from nlp.encoders.pairs import PIECE_CHARS

log = logging.getLogger(__name__)
Matrix = npt.NDArray[np.float32]
C = 4.0


def _lr() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=3000)


def head_scores(
    train_x: Matrix, train: list[TrainingExample], test_x: Matrix, test: list[TrainingExample]
) -> dict[str, float]:
    """Fit the three heads on (train_x, train) and score them on (test_x, test)."""
    from sklearn.metrics import accuracy_score, f1_score

    out: dict[str, float] = {}
    y = np.array([t.is_initiative for t in train])
    predicted = _lr().fit(train_x, y).predict(test_x)
    out["initiative_f1"] = float(f1_score([t.is_initiative for t in test], predicted))
    kinds_train = [i for i, t in enumerate(train) if t.doc_kind]
    kinds_test = [i for i, t in enumerate(test) if t.doc_kind]
    head = _lr().fit(train_x[kinds_train], [train[i].doc_kind for i in kinds_train])
    out["doc_kind_accuracy"] = float(
        accuracy_score([test[i].doc_kind for i in kinds_test], head.predict(test_x[kinds_test]))
    )
    init_train = [i for i, t in enumerate(train) if t.is_initiative]
    init_test = [i for i, t in enumerate(test) if t.is_initiative]
    truth, guess = [], []
    for kind in INNOVATION_TYPES:
        labels = np.array([kind in train[i].innovation_types for i in init_train])
        if labels.all() or not labels.any():
            guess.append(np.full(len(init_test), labels.any()))
        else:
            guess.append(_lr().fit(train_x[init_train], labels).predict(test_x[init_test]))
        truth.append([kind in test[i].innovation_types for i in init_test])
    out["types_micro_f1"] = float(f1_score(np.array(truth).T, np.array(guess).T, average="micro"))
    out["n_test"] = float(len(test))
    return out


def grouped_cv(x: Matrix, texts: list[TrainingExample], folds: int = 5, seed: int = 0) -> dict[str, float]:
    """Mean of `head_scores` over grouped, label-stratified folds."""
    from sklearn.model_selection import StratifiedGroupKFold

    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    labels = [t.is_initiative for t in texts]
    runs = []
    for train_idx, test_idx in splitter.split(x, labels, [t.group for t in texts]):
        runs.append(
            head_scores(
                x[train_idx], [texts[i] for i in train_idx], x[test_idx], [texts[i] for i in test_idx]
            )
        )
    return {key: float(np.mean([r[key] for r in runs])) for key in runs[0] if key != "n_test"} | {
        "n_texts": float(len(texts))
    }


def embed_texts(embedder: Embedder, texts: list[TrainingExample]) -> Matrix:
    """The classifiers' first piece of each text."""
    return embedder.embed_passages([t.text[:PIECE_CHARS] for t in texts])


def compare_encoders(
    embedders: dict[str, Callable[[], Embedder]],
    train: list[TrainingExample],
    held_out: list[TrainingExample],
    folds: int = 5,
    seed: int = 0,
) -> dict[str, dict[str, dict[str, float]]]:
    """Per encoder name: the three readings (see the module docstring)."""
    report: dict[str, dict[str, dict[str, float]]] = {}
    for name, make in embedders.items():
        embedder = make()
        train_x, held_x = embed_texts(embedder, train), embed_texts(embedder, held_out)
        report[name] = {
            "held_out": head_scores(train_x, train, held_x, held_out),
            "cv_held_out": grouped_cv(held_x, held_out, folds, seed),
            "cv_all": grouped_cv(np.concatenate([train_x, held_x]), train + held_out, folds, seed),
        }
        log.info("encoder compared name=%s held_out=%s", name, report[name]["held_out"])
    return report
