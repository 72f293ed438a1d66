"""Bundled against fine-tuned encoder: simple logistic-regression heads on each one's vectors (real texts).

Three readings, each for initiative F1, document-kind accuracy and innovation-types micro-F1 (over true
initiatives):
- ``held_out``: heads fitted on the texts the encoder was fine-tuned on, scored on the held-out groups
  (`pairs.split_holdout`), which no encoder saw: the fair comparison.
- ``cv_held_out``: grouped 5-fold CV inside the held-out texts only (no text any encoder trained on).
- ``cv_all``: grouped 5-fold CV over seed + pool dev, as for the classifiers; optimistic for a fine-tuned
  encoder (it saw the labels of 80 % of these texts), reported for reference only.
Vectors are those of the first 500 characters with the "passage: " prefix (the classifiers' first piece).

``v9_held_out`` (``--heads v9``) fits the promoted classifiers' own recipe instead (`nlp.classifiers`
v9: word TF-IDF + the ``[head | mean]`` vectors of the 500- and 400-character pieces, the TF-IDF cascade,
the URL-aware document-kind model) on the training part with one encoder's vectors and scores the held-out
groups: initiative F1, types micro/macro-F1 over true initiatives, document-kind accuracy, with 95 %
bootstrap intervals (texts resampled).
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


def v9_held_out(
    embed: Callable[[list[str]], Matrix],
    train: list[TrainingExample],
    held_out: list[TrainingExample],
    rounds: int = 1000,
    test_embed: Callable[[list[str]], Matrix] | None = None,
) -> dict[str, Any]:
    """The v9 classifiers fitted on `train` with `embed`'s vectors, scored on `held_out` (see above).

    With `test_embed`, the held-out texts are embedded by it instead: classifiers fitted on one encoder's
    vectors applied to another's (the shipped models after a change of the default encoder).

    One split, the same decisions as one fold of `nlp.classifiers.evaluation.out_of_fold`: the TF-IDF
    stage's texts below ``cascade_low`` keep its score and get no types.
    """
    from nlp.classifiers.estimators import apply_thresholds
    from nlp.classifiers.evaluation import make_task_data
    from nlp.classifiers.features import chunked_vectors
    from nlp.classifiers.real_evaluation import Decisions, bootstrap_intervals, headline_figures
    from nlp.classifiers.training import TrainConfig, make_factories
    from nlp.geo.in_qpv import combine_in_qpv

    config = TrainConfig(use_embeddings=True)
    factories = make_factories(config)
    fit = make_task_data(train, chunked_vectors(embed, [t.text for t in train], config.embed_pieces))
    test_vectors = chunked_vectors(test_embed or embed, [t.text for t in held_out], config.embed_pieces)
    test = make_task_data(held_out, test_vectors)
    model = factories["initiative"]().fit(fit.batch, fit.is_init)
    scores = model.decision_scores(test.batch)
    fast = factories["initiative_fast"]().fit(fit.batch, fit.is_init).decision_scores(test.batch)
    skipped = fast < config.cascade_low
    scores[skipped] = fast[skipped]
    init = (scores >= model.threshold_).astype(int)
    pos = np.flatnonzero(fit.is_init == 1)
    qpv_model = factories["qpv"]().fit(fit.batch.take(pos), fit.in_qpv[pos])
    qpv = (qpv_model.decision_scores(test.batch) >= qpv_model.threshold_).astype(int)
    types_model = factories["types"]().fit(fit.batch.take(pos), fit.types[pos])
    types = apply_thresholds(types_model.predict_proba(test.batch), types_model.thresholds_)
    types[skipped] = 0
    kinded = np.flatnonzero(fit.kinds != "")
    kind = factories["doc_kind"]().fit(fit.batch.take(kinded), fit.kinds[kinded]).predict(test.batch)
    decisions = Decisions(init, np.asarray(combine_in_qpv(init, qpv, None), dtype=int), types, kind)
    figures = headline_figures(test, decisions)
    intervals = bootstrap_intervals(test, decisions, rounds) if rounds else {}
    return {
        "n_train": len(train),
        "n_test": len(held_out),
        "figures": {k: round(v, 4) for k, v in figures.items()},
        "intervals_95": {k: [round(lo, 3), round(hi, 3)] for k, (lo, hi) in intervals.items()},
    }


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
