"""scikit-learn estimators of Vigie: binary detectors, multi-label innovation types, document kind."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from nlp.classifiers.cues import cue_shares
from nlp.classifiers.features import TextBatch, TextFeaturizer, as_batch

FloatArray = npt.NDArray[np.float64]


def best_f1_threshold(y_true: npt.ArrayLike, scores: npt.ArrayLike, default: float = 0.5) -> float:
    """The score threshold that maximises F1 on out-of-fold predictions."""
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=float)
    if y.sum() == 0 or y.sum() == len(y):
        return default
    best, best_f1 = default, -1.0
    for thr in np.arange(0.1, 0.91, 0.025):
        pred = s >= thr
        tp = float(np.sum(pred & y))
        f1 = 2 * tp / (pred.sum() + y.sum()) if pred.sum() + y.sum() else 0.0
        # Ties go to the threshold closest to 0.5 so small samples do not push it to an edge.
        if f1 > best_f1 + 1e-9 or (abs(f1 - best_f1) <= 1e-9 and abs(thr - 0.5) < abs(best - 0.5)):
            best, best_f1 = float(thr), f1
    return round(best, 3)


def _calibrated_lr(C: float, n_pos: int, n_neg: int) -> Any:
    """A balanced logistic regression, sigmoid-calibrated when each class has enough examples."""
    lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
    folds = min(3, n_pos, n_neg)
    if folds < 2:
        return lr
    # ensemble=False: one model fitted on all the data, calibrated on cross-validated scores; the
    # 3-model ensemble scored lower out of fold (docs/models.md) and costs 3x at prediction time.
    return CalibratedClassifierCV(lr, cv=folds, method="sigmoid", ensemble=False)


def _oof_scores(make: Any, F: Any, y: npt.NDArray[Any], folds: int, seed: int) -> FloatArray:
    """Out-of-fold positive-class probabilities on an already featurized matrix."""
    oof = np.zeros(len(y), dtype=float)
    n_splits = min(folds, int(y.sum()), int((~y.astype(bool)).sum()))
    if n_splits < 2:
        return oof + 0.5
    for train, test in StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(F, y):
        model = make(int(y[train].sum()), int(len(train) - y[train].sum())).fit(F[train], y[train])
        oof[test] = model.predict_proba(F[test])[:, 1]
    return oof


class BinaryTextClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """Calibrated logistic regression on text features, with an F1-tuned decision threshold.

    ``binary_tf`` makes the word TF-IDF count each word once (`TextFeaturizer`).
    """

    def __init__(
        self,
        C: float = 8.0,
        char_ngrams: bool = True,
        use_embeddings: bool = False,
        tune_threshold: bool = True,
        random_state: int = 0,
        embedding_view: str | None = None,
        binary_tf: bool = False,
    ) -> None:
        self.C = C
        self.binary_tf = binary_tf
        self.char_ngrams = char_ngrams
        self.use_embeddings = use_embeddings
        self.tune_threshold = tune_threshold
        self.random_state = random_state
        self.embedding_view = embedding_view

    def fit(self, X: Any, y: Any) -> BinaryTextClassifier:
        """Fit features, model and threshold."""
        batch = as_batch(X)
        y_arr = np.asarray(y).astype(int)
        self.featurizer_ = TextFeaturizer(
            self.char_ngrams,
            self.use_embeddings,
            embedding_view=self.embedding_view,
            binary_tf=getattr(self, "binary_tf", False),  # getattr: detectors pickled before it
        ).fit(batch)
        F = self._fit_features(batch, y_arr)
        pos, neg = int(y_arr.sum()), int(len(y_arr) - y_arr.sum())
        self.model_ = _calibrated_lr(self.C, pos, neg).fit(F, y_arr)
        self.classes_ = np.array([0, 1])
        self.threshold_ = 0.5
        if self.tune_threshold:
            oof = _oof_scores(lambda p, n: _calibrated_lr(self.C, p, n), F, y_arr, 3, self.random_state)
            self.threshold_ = best_f1_threshold(y_arr, oof)
        return self

    def predict_proba(self, X: Any) -> FloatArray:
        """Calibrated probabilities, columns [negative, positive]."""
        proba: FloatArray = self.model_.predict_proba(self._features(as_batch(X)))
        return proba

    def decision_scores(self, X: Any) -> FloatArray:
        """Positive-class probability per text."""
        return self.predict_proba(X)[:, 1]

    def predict(self, X: Any) -> npt.NDArray[np.int_]:
        """1 when the positive probability reaches the tuned threshold."""
        return (self.decision_scores(X) >= self.threshold_).astype(int)

    def _fit_features(self, batch: TextBatch, y: npt.NDArray[np.int_]) -> Any:
        """The training texts' feature matrix (the fitted featurizer's; subclasses add columns)."""
        return self.featurizer_.transform(batch)

    def _features(self, batch: TextBatch) -> Any:
        """The feature matrix of texts to score."""
        return self.featurizer_.transform(batch)


class MultiLabelTypeClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """One calibrated logistic regression per innovation type, with thresholds tuned on inner folds.

    ``shared_threshold`` (default) tunes one threshold for all types on the pooled out-of-fold
    probabilities (micro-F1): per-type thresholds over-fit the rare types on a few hundred examples
    (docs/models.md). Every text gets at least its most probable type.

    ``type_cues`` > 0 adds to each type's model one column: the share of the text's sentences holding
    one of that type's hand-written cue words (`nlp.classifiers.cues`) times this weight; 0 (and
    models saved before it) reads none.

    ``sublinear_tf`` is the word TF-IDF's term-frequency scaling (`TextFeaturizer`); v7 reads raw
    counts (False).
    """

    def __init__(
        self,
        labels: tuple[str, ...] = (),
        C: float = 8.0,
        char_ngrams: bool = True,
        use_embeddings: bool = False,
        random_state: int = 0,
        shared_threshold: bool = True,
        embedding_view: str | None = None,
        type_cues: float = 0.0,
        sublinear_tf: bool = True,
    ) -> None:
        self.labels = labels
        self.type_cues = type_cues
        self.sublinear_tf = sublinear_tf
        self.C = C
        self.char_ngrams = char_ngrams
        self.use_embeddings = use_embeddings
        self.random_state = random_state
        self.shared_threshold = shared_threshold
        self.embedding_view = embedding_view

    def fit(self, X: Any, Y: Any) -> MultiLabelTypeClassifier:
        """Fit one model per label and the thresholds; Y is a 0/1 matrix (texts x labels)."""
        batch = as_batch(X)
        Y_arr = np.asarray(Y).astype(int)
        self.featurizer_ = TextFeaturizer(
            self.char_ngrams,
            self.use_embeddings,
            embedding_view=self.embedding_view,
            sublinear_tf=self.sublinear_tf,
        ).fit(batch)
        F0 = self.featurizer_.transform(batch)
        cues = self._cues(batch, Y_arr.shape[1])
        self.models_: list[Any] = []
        oof = np.zeros(Y_arr.shape)
        for j in range(Y_arr.shape[1]):
            y = Y_arr[:, j]
            pos, neg = int(y.sum()), int(len(y) - y.sum())
            if pos == 0 or neg == 0:
                self.models_.append(float(pos > 0))
                oof[:, j] = float(pos > 0)
                continue
            F = self._with_cue(F0, cues, j)
            self.models_.append(_calibrated_lr(self.C, pos, neg).fit(F, y))
            oof[:, j] = _oof_scores(lambda p, n: _calibrated_lr(self.C, p, n), F, y, 3, self.random_state)
        self.label_thresholds_ = [best_f1_threshold(Y_arr[:, j], oof[:, j]) for j in range(Y_arr.shape[1])]
        if self.shared_threshold:
            shared = best_f1_threshold(Y_arr.ravel(), oof.ravel())
            self.thresholds_ = [shared] * Y_arr.shape[1]
        else:
            self.thresholds_ = list(self.label_thresholds_)
        self.classes_ = np.array(self.labels or range(Y_arr.shape[1]))
        return self

    def _cues(self, batch: TextBatch, n_labels: int) -> FloatArray | None:
        """Weighted cue shares (texts x labels), None when the model reads no cues."""
        weight = float(getattr(self, "type_cues", 0.0))  # getattr: models pickled before cues
        if weight <= 0:
            return None
        labels = [str(t) for t in self.labels] if self.labels else [""] * n_labels
        return cue_shares(batch.texts, labels) * weight

    @staticmethod
    def _with_cue(F: Any, cues: FloatArray | None, j: int) -> Any:
        """The shared features plus, with cues, the column of label ``j`` only."""
        if cues is None:
            return F
        return sparse.hstack([F, sparse.csr_matrix(cues[:, j : j + 1])], format="csr")

    def predict_proba(self, X: Any) -> FloatArray:
        """Calibrated probability per label (texts x labels)."""
        batch = as_batch(X)
        F = self.featurizer_.transform(batch)
        cues = self._cues(batch, len(self.models_))
        cols = [
            np.full(F.shape[0], m)
            if isinstance(m, float)
            else m.predict_proba(self._with_cue(F, cues, j))[:, 1]
            for j, m in enumerate(self.models_)
        ]
        return np.column_stack(cols) if cols else np.zeros((F.shape[0], 0))

    def predict(self, X: Any) -> npt.NDArray[np.int_]:
        """0/1 matrix after the thresholds, with at least the most probable label per text."""
        return apply_thresholds(self.predict_proba(X), self.thresholds_)


def apply_thresholds(proba: FloatArray, thresholds: list[float]) -> npt.NDArray[np.int_]:
    """Labels at or above their threshold; a row with none gets the label closest to its threshold."""
    margin = proba - np.asarray(thresholds)
    out: npt.NDArray[np.int_] = (margin >= 0).astype(int)
    empty = out.sum(axis=1) == 0
    if proba.shape[1]:
        out[np.flatnonzero(empty), np.argmax(margin[empty], axis=1)] = 1
    return out


class DocKindClassifier(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """Multinomial logistic regression over document kinds (press, association, call...)."""

    def __init__(
        self, C: float = 8.0, char_ngrams: bool = True, use_embeddings: bool = False, use_urls: bool = True
    ) -> None:
        self.C = C
        self.char_ngrams = char_ngrams
        self.use_embeddings = use_embeddings
        self.use_urls = use_urls

    def fit(self, X: Any, y: Any) -> DocKindClassifier:
        """Fit features and model (URL words join the text when the batch carries URLs)."""
        batch = as_batch(X)
        self.featurizer_ = TextFeaturizer(self.char_ngrams, self.use_embeddings, use_urls=self.use_urls)
        self.featurizer_.fit(batch)
        self.model_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        self.model_.fit(self.featurizer_.transform(batch), np.asarray(y))
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Any) -> FloatArray:
        """Probability per kind, columns in `classes_` order."""
        proba: FloatArray = self.model_.predict_proba(self.featurizer_.transform(as_batch(X)))
        return proba

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """The most probable kind per text."""
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])
