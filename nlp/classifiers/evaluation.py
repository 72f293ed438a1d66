"""Grouped cross-validation of every task: per-class precision/recall/F1, micro/macro F1, confusion."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedGroupKFold

from core.domain import INNOVATION_TYPES
from nlp.classifiers.cascade import rescore_band
from nlp.classifiers.estimators import apply_thresholds
from nlp.classifiers.examples import TrainingExample
from nlp.classifiers.features import TextBatch
from nlp.classifiers.host_kinds import smooth_by_host, url_host
from nlp.classifiers.store import WHOLE_TEXT_TASK
from nlp.geo.in_qpv import combine_in_qpv, geo_code
from nlp.geo.protocols import PlaceLinker

log = logging.getLogger(__name__)


@dataclass
class TaskData:
    """The arrays every task is trained and scored on."""

    batch: TextBatch
    is_init: npt.NDArray[np.int_]
    in_qpv: npt.NDArray[np.int_]
    types: npt.NDArray[np.int_]
    kinds: npt.NDArray[Any]
    groups: npt.NDArray[Any]
    geo: npt.NDArray[np.int_] | None = None
    # [head | mean] features over the whole-text pieces (the initiative cascade's last stage; v10).
    whole: npt.NDArray[np.float32] | None = None

    def whole_batch(self, idx: npt.ArrayLike | None = None) -> TextBatch:
        """The texts (all, or at ``idx``) with their whole-text vectors."""
        if self.whole is None:
            raise ValueError("no whole-text vectors: build the data with make_task_data(..., whole=...)")
        batch = TextBatch(
            self.batch.texts, self.whole, self.batch.urls, self.batch.sentences, self.batch.groups
        )
        return batch if idx is None else batch.take(np.asarray(idx, dtype=np.intp))

    def take(self, idx: npt.ArrayLike) -> TaskData:
        """The rows at ``idx`` of every array."""
        rows = np.asarray(idx, dtype=np.intp)
        return TaskData(
            batch=self.batch.take(rows),
            is_init=self.is_init[rows],
            in_qpv=self.in_qpv[rows],
            types=self.types[rows],
            kinds=self.kinds[rows],
            groups=self.groups[rows],
            geo=None if self.geo is None else self.geo[rows],
            whole=None if self.whole is None else self.whole[rows],
        )


def make_task_data(
    examples: list[TrainingExample],
    vectors: npt.NDArray[np.float32] | None,
    geo: npt.NDArray[np.int_] | None = None,
    whole: npt.NDArray[np.float32] | None = None,
    sentences: list[npt.NDArray[np.float32]] | None = None,
) -> TaskData:
    """Arrays of labels aligned with the texts (``whole``: the cascade's whole-text vectors;
    ``sentences``: each text's sentence embeddings, for the initiative models that read them)."""
    groups = [e.group or e.id for e in examples]
    return TaskData(
        batch=TextBatch([e.text for e in examples], vectors, [e.url for e in examples], sentences, groups),
        is_init=np.array([int(e.is_initiative) for e in examples]),
        in_qpv=np.array([int(e.is_initiative and e.in_qpv is True) for e in examples]),
        types=np.array([[int(t in e.innovation_types) for t in INNOVATION_TYPES] for e in examples]),
        kinds=np.array([e.doc_kind or "" for e in examples], dtype=object),
        groups=np.array(groups, dtype=object),
        geo=geo,
        whole=whole,
    )


def geo_codes(
    linker: PlaceLinker, texts: list[str], urls: list[str | None] | None = None
) -> npt.NDArray[np.int_]:
    """The linker's in-QPV decision per text (`nlp.geo.in_qpv.geo_code`): 1, 0, -1 unknown, -2 abroad."""
    codes = []
    for i, text in enumerate(texts):
        geo = linker.link(text, url=urls[i] if urls is not None else None)
        codes.append(geo_code(geo.foreign, geo.in_qpv))
    return np.array(codes, dtype=int)


def binary_report(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> dict[str, Any]:
    """Precision, recall, F1, support and the 2x2 confusion [[tn, fp], [fn, tp]]."""
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=[0, 1]).tolist()
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "confusion": cm}


def multilabel_report(Y_true: npt.NDArray[Any], Y_pred: npt.NDArray[Any]) -> dict[str, Any]:
    """Per-type precision/recall/F1/support plus micro and macro F1."""
    p, r, f, s = precision_recall_fscore_support(Y_true, Y_pred, average=None, zero_division=0)
    per = {
        t: {"precision": round(p[i], 3), "recall": round(r[i], 3), "f1": round(f[i], 3), "support": int(s[i])}
        for i, t in enumerate(INNOVATION_TYPES)
    }
    return {
        "per_class": per,
        "micro_f1": round(f1_score(Y_true, Y_pred, average="micro", zero_division=0), 3),
        "macro_f1": round(f1_score(Y_true, Y_pred, average="macro", zero_division=0), 3),
    }


def multiclass_report(y_true: npt.NDArray[Any], y_pred: npt.NDArray[Any]) -> dict[str, Any]:
    """Per-kind scores, accuracy, macro F1 and confusion (rows = truth, labels listed)."""
    labels = sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per = {
        k: {"precision": round(p[i], 3), "recall": round(r[i], 3), "f1": round(f[i], 3), "support": int(s[i])}
        for i, k in enumerate(labels)
    }
    return {
        "per_class": per,
        "accuracy": round(float(np.mean(y_true == y_pred)), 3),
        "macro_f1": round(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0), 3),
        "labels": labels,
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


Factories = dict[str, Callable[[], Any]]


@dataclass
class OutOfFold:
    """Out-of-fold scores and decisions of every task (one row per example)."""

    init_score: npt.NDArray[np.float64]
    init: npt.NDArray[np.int_]
    qpv_score: npt.NDArray[np.float64]
    qpv: npt.NDArray[np.int_]
    types_score: npt.NDArray[np.float64]
    types: npt.NDArray[np.int_]
    kind: npt.NDArray[Any]
    # The initiative decisions before the whole-text stage, and the rows it decided (cascade, v10).
    init_before_whole: npt.NDArray[np.int_] | None = None
    whole_decided: npt.NDArray[np.bool_] | None = None
    # Each text's own kind, before it is read with the same host's other test texts (`host_kinds`).
    kind_own: npt.NDArray[Any] | None = None


def out_of_fold(
    data: TaskData,
    factories: Factories,
    folds: int = 5,
    seed: int = 0,
    cascade_low: float = 0.0,
    train_only: npt.NDArray[np.bool_] | None = None,
    band: float = 0.0,
    host_weight: float = 0.0,
) -> OutOfFold:
    """Fit each task on the training folds (grouped by site/initiative), predict the held-out fold.

    With an ``initiative_fast`` factory, held-out texts it scores below ``cascade_low`` keep its score
    and get no types, as in production where they are never embedded. With an ``initiative_whole``
    factory (and ``data.whole``), the others whose initiative score lies within ``band`` of its
    threshold are decided by the whole-text model, by the analysis' own function
    (`cascade.rescore_band`). Examples marked ``train_only`` (texts we wrote) join every training fold
    and are never scored (their rows stay zero). With ``host_weight``, each held-out text's kind is read
    with the other held-out texts of its host (`host_kinds.smooth_by_host`; no label used): ``kind_own``
    keeps the kinds before.
    """
    n = len(data.batch)
    k = data.types.shape[1]
    oof = OutOfFold(
        np.zeros(n), np.zeros(n, dtype=int), np.zeros(n), np.zeros(n, dtype=int),
        np.zeros((n, k)), np.zeros((n, k), dtype=int), np.array([""] * n, dtype=object),
    )  # fmt: skip
    oof.kind_own = np.array([""] * n, dtype=object)
    urls = data.batch.urls or [None] * n
    hosts = np.array([url_host(u) for u in urls], dtype=object)
    staged = WHOLE_TEXT_TASK in factories and data.whole is not None and band > 0
    if staged:
        oof.init_before_whole, oof.whole_decided = np.zeros(n, dtype=int), np.zeros(n, dtype=bool)
    for fold, (train, test) in enumerate(_fold_indices(data, folds, seed, train_only)):
        log.info("cv fold=%d train=%d test=%d", fold, len(train), len(test))
        test_batch = data.batch.take(test)
        model = factories["initiative"]().fit(data.batch.take(train), data.is_init[train])
        oof.init_score[test] = model.decision_scores(test_batch)
        skipped = np.zeros(len(test), dtype=bool)
        if "initiative_fast" in factories:
            fast = factories["initiative_fast"]().fit(data.batch.take(train), data.is_init[train])
            fast_scores = fast.decision_scores(test_batch)
            skipped = fast_scores < cascade_low
            oof.init_score[test[skipped]] = fast_scores[skipped]
        if staged:
            assert oof.init_before_whole is not None and oof.whole_decided is not None
            oof.init_before_whole[test] = (oof.init_score[test] >= model.threshold_).astype(int)
            whole = factories[WHOLE_TEXT_TASK]().fit(data.whole_batch(train), data.is_init[train])
            kept = test[~skipped]
            oof.init_score[kept], decided = rescore_band(
                oof.init_score[kept],
                float(model.threshold_),
                whole,
                band,
                partial(_whole_rows, data, kept),
            )
            oof.whole_decided[kept[decided]] = True
        oof.init[test] = (oof.init_score[test] >= model.threshold_).astype(int)
        pos = train[data.is_init[train] == 1]
        model = factories["qpv"]().fit(data.batch.take(pos), data.in_qpv[pos])
        oof.qpv_score[test] = model.decision_scores(test_batch)
        oof.qpv[test] = (oof.qpv_score[test] >= model.threshold_).astype(int)
        model = factories["types"]().fit(data.batch.take(pos), data.types[pos])
        oof.types_score[test] = model.predict_proba(test_batch)
        oof.types[test] = apply_thresholds(oof.types_score[test], model.thresholds_)
        oof.types[test[skipped]] = 0
        kinded = train[data.kinds[train] != ""]
        model = factories["doc_kind"]().fit(data.batch.take(kinded), data.kinds[kinded])
        proba = model.predict_proba(test_batch)
        oof.kind_own[test] = np.asarray(model.classes_)[np.argmax(proba, axis=1)]
        oof.kind[test] = smooth_by_host(list(hosts[test]), proba, model.classes_, host_weight)
    return oof


def _whole_rows(data: TaskData, rows: npt.NDArray[np.intp], idx: npt.NDArray[np.intp]) -> TextBatch:
    """The whole-text batch of ``rows[idx]``."""
    return data.whole_batch(rows[idx])


def _fold_indices(
    data: TaskData, folds: int, seed: int, train_only: npt.NDArray[np.bool_] | None
) -> list[tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]]:
    """(train, test) indices of each fold: grouped, stratified splits of the scored examples.

    Train-only examples join every fold's training part, except a fold whose test texts share their
    group (same site or initiative): that would let the fold see its own test pages' site.
    """
    extra = np.flatnonzero(train_only) if train_only is not None else np.zeros(0, dtype=np.intp)
    scored = np.setdiff1d(np.arange(len(data.batch)), extra)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = splitter.split(np.zeros(len(scored)), data.is_init[scored], data.groups[scored])

    def apart(test: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:  # train-only rows of no test group
        return extra[~np.isin(data.groups[extra], data.groups[test])]

    return [(np.sort(np.concatenate([scored[tr], apart(scored[te])])), scored[te]) for tr, te in splits]


def build_report(data: TaskData, oof: OutOfFold, folds: int) -> dict[str, Any]:
    """Per-task reports from out-of-fold predictions."""
    init_mask = data.is_init == 1
    kind_mask = data.kinds != ""
    qpv_given = combine_in_qpv(np.ones_like(oof.qpv), oof.qpv, data.geo)
    return {
        "initiative": binary_report(data.is_init, oof.init),
        "initiative_in_qpv": binary_report(data.in_qpv, combine_in_qpv(oof.init, oof.qpv, data.geo)),
        "qpv_given_initiative": binary_report(data.in_qpv[init_mask], np.asarray(qpv_given)[init_mask]),
        "initiative_in_qpv_classifier_only": binary_report(data.in_qpv, oof.init * oof.qpv),
        "types": multilabel_report(data.types[init_mask], oof.types[init_mask]),
        "doc_kind": multiclass_report(data.kinds[kind_mask], oof.kind[kind_mask]),
        "n_examples": len(data.batch),
        "folds": folds,
        "geo_linker": data.geo is not None,
    }


def restrict(data: TaskData, oof: OutOfFold, mask: npt.NDArray[np.bool_]) -> tuple[TaskData, OutOfFold]:
    """The data and out-of-fold rows of the masked examples only (e.g. real texts, one document kind)."""
    idx = np.flatnonzero(mask)
    sub = data.take(idx)
    fields: list[Any] = [getattr(oof, f) for f in OutOfFold.__dataclass_fields__]
    taken: list[Any] = [None if a is None else a[idx] for a in fields]
    rows = OutOfFold(*taken)
    return sub, rows


def cross_validate(
    data: TaskData,
    factories: Factories,
    folds: int = 5,
    seed: int = 0,
    cascade_low: float = 0.0,
    band: float = 0.0,
) -> dict[str, Any]:
    """Grouped k-fold cross-validation of every task: the report of `vigie evaluate models`."""
    return build_report(data, out_of_fold(data, factories, folds, seed, cascade_low, band=band), folds)


# Share of fold groups (site/initiative) set aside as the held-out set both model sets are scored on.
HOLDOUT_SHARE = 0.2


def holdout_mask(groups: npt.NDArray[Any], share: float = HOLDOUT_SHARE) -> npt.NDArray[np.bool_]:
    """Examples whose group falls in the held-out share, by a stable hash of the group key.

    The same groups are held out on every run and machine, so two trainings on overlapping data
    are scored on the same held-out examples.
    """
    cut = int(share * 0xFFFFFFFF)
    keys = {g: int(hashlib.sha256(str(g).encode()).hexdigest()[:8], 16) < cut for g in set(groups)}
    return np.array([keys[g] for g in groups], dtype=bool)


def holdout_report(
    data: TaskData,
    mask: npt.NDArray[np.bool_],
    init: npt.NDArray[Any],
    qpv: npt.NDArray[Any],
    types: npt.NDArray[Any],
) -> dict[str, Any]:
    """Flat figures of one model set's held-out decisions (arrays cover every example; masked here)."""
    geo = data.geo[mask] if data.geo is not None else None
    initiative = binary_report(data.is_init[mask], init[mask])
    in_qpv = binary_report(data.in_qpv[mask], combine_in_qpv(init[mask], qpv[mask], geo))
    positives = mask & (data.is_init == 1)
    kinds = multilabel_report(data.types[positives], types[positives]) if positives.any() else {}
    return {
        "initiative_f1": initiative["f1"],
        "initiative_precision": initiative["precision"],
        "initiative_recall": initiative["recall"],
        "initiative_in_qpv_f1": in_qpv["f1"],
        "types_micro_f1": kinds.get("micro_f1", 0.0),
        "types_macro_f1": kinds.get("macro_f1", 0.0),
    }


def current_decisions(models: Any, texts: list[str], embedder: Any = None) -> tuple[Any, Any, Any]:
    """Initiative, in-QPV (classifier) and type decisions of a loaded `ModelSet`, one text = one passage."""
    scores = models.score([[t] for t in texts], [None] * len(texts), embedder)
    init = np.array([int(s.initiative >= models.threshold("initiative")) for s in scores])
    qpv = np.array([int(s.qpv >= models.threshold("qpv")) for s in scores])
    proba = np.array([[s.types[t] for t in INNOVATION_TYPES] for s in scores]).reshape(len(texts), -1)
    thresholds = list(models.type_thresholds.values())
    types = apply_thresholds(proba, thresholds) if len(texts) else np.zeros_like(proba, dtype=int)
    types[proba.sum(axis=1) == 0] = 0  # texts the cascade's first stage left out get no types
    return init, qpv, types
