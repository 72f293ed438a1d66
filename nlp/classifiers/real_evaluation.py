"""Figures on real texts only: grouped CV over seed + pool dev, and the blind split, with bootstrap intervals.

Texts we wrote may join the training folds (``train_only``) but are never scored. The blind split is
scored by models trained on seed + pool dev, in aggregate only (no per-text output leaves this module).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.metrics import f1_score

from core.domain import INNOVATION_TYPES
from nlp.classifiers.evaluation import Factories, TaskData, out_of_fold
from nlp.classifiers.host_kinds import smooth_scores, url_host
from nlp.geo.in_qpv import combine_in_qpv

IntArray = npt.NDArray[np.int_]
HEADLINES = (
    "initiative_f1",
    "initiative_precision",
    "initiative_recall",
    "initiative_in_qpv_f1",
    "types_micro_f1",
    "types_macro_f1",
    "types_min_f1",
    "doc_kind_accuracy",
)
BOOTSTRAP_ROUNDS = 1000


@dataclass
class Decisions:
    """One model set's decisions on a list of texts (in-QPV already combined with the linker)."""

    init: IntArray
    in_qpv: IntArray
    types: IntArray
    kind: npt.NDArray[Any]
    # The kinds before they were read with the same host's other texts (None: not read so).
    kind_own: npt.NDArray[Any] | None = None


def _binary(y: IntArray, p: IntArray) -> tuple[float, float, float]:
    tp = float(np.sum((y == 1) & (p == 1)))
    pp, ap = float(p.sum()), float(y.sum())
    prec = tp / pp if pp else 0.0
    rec = tp / ap if ap else 0.0
    return prec, rec, (2 * tp / (pp + ap) if pp + ap else 0.0)


def headline_figures(data: TaskData, dec: Decisions, idx: IntArray | None = None) -> dict[str, float]:
    """The figures the targets are set on, over the rows ``idx`` (all rows by default)."""
    idx = np.arange(len(dec.init)) if idx is None else idx
    prec, rec, f1 = _binary(data.is_init[idx], dec.init[idx])
    out = {"initiative_f1": f1, "initiative_precision": prec, "initiative_recall": rec}
    out["initiative_in_qpv_f1"] = _binary(data.in_qpv[idx], dec.in_qpv[idx])[2]
    pos = idx[data.is_init[idx] == 1]
    if len(pos):
        truth, pred = data.types[pos], dec.types[pos]
        per = f1_score(truth, pred, average=None, zero_division=0)
        out |= {
            "types_micro_f1": float(f1_score(truth, pred, average="micro", zero_division=0)),
            "types_macro_f1": float(np.mean(per)),
            "types_min_f1": float(np.min(per)),
        }
        out |= {f"type_{t}_f1": float(v) for t, v in zip(INNOVATION_TYPES, per, strict=True)}
    kinded = idx[data.kinds[idx] != ""]
    out["doc_kind_accuracy"] = float(np.mean(data.kinds[kinded] == dec.kind[kinded])) if len(kinded) else 0.0
    return out


def bootstrap_intervals(
    data: TaskData, dec: Decisions, rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0
) -> dict[str, tuple[float, float]]:
    """95 % percentile intervals of each headline figure, texts resampled with replacement."""
    rng = np.random.default_rng(seed)
    n = len(dec.init)
    samples: dict[str, list[float]] = {}
    for _ in range(rounds):
        figures = headline_figures(data, dec, rng.integers(0, n, n))
        for key, value in figures.items():
            samples.setdefault(key, []).append(value)
    return {k: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) for k, v in samples.items()}


def figures_by_kind(data: TaskData, dec: Decisions) -> dict[str, dict[str, float]]:
    """Headline figures per true document kind (doc kind accuracy there is that kind's recall)."""
    out = {}
    for kind in sorted({str(k) for k in data.kinds if k}):
        idx = np.flatnonzero(data.kinds == kind)
        out[kind] = {"n": float(len(idx))} | headline_figures(data, dec, idx)
    return out


def summarise(data: TaskData, dec: Decisions, rounds: int = BOOTSTRAP_ROUNDS) -> dict[str, Any]:
    """Figures, their 95 % intervals and the per-kind figures, rounded for reports."""
    figures = headline_figures(data, dec)
    intervals = bootstrap_intervals(data, dec, rounds) if rounds else {}
    return {
        "n": len(dec.init),
        "n_initiatives": int(data.is_init.sum()),
        "figures": {k: round(v, 3) for k, v in figures.items()},
        "intervals_95": {k: [round(lo, 3), round(hi, 3)] for k, (lo, hi) in intervals.items()},
        "by_kind": {k: {f: round(v, 3) for f, v in d.items()} for k, d in figures_by_kind(data, dec).items()},
    }


def real_cross_validation(
    data: TaskData,
    factories: Factories,
    written: npt.NDArray[np.bool_],
    folds: int = 5,
    seeds: Sequence[int] = (0, 1, 2),
    cascade_low: float = 0.0,
    use_written: bool = False,
    band: float = 0.0,
    host_weight: float = 0.0,
    gathered: npt.NDArray[np.bool_] | None = None,
) -> dict[str, Any]:
    """Grouped CV scored on real texts only, one report per fold shuffle, and their mean.

    ``written`` marks texts we wrote: with ``use_written`` they join every training fold, else they are
    left out; they are never scored. ``gathered`` marks the real texts we gathered ourselves: they join
    every training fold and are never scored, so the scored texts stay seed + pool dev, comparable with
    earlier rounds. A train-only text sharing a group (site, initiative) with a fold's test texts is left
    out of that fold. ``host_weight``: each test text's kind is read with the other test texts of its host
    (`host_kinds`); ``doc_kind_host`` gives the accuracy with and without it.
    """
    keep = np.ones(len(written), dtype=bool) if use_written else ~written
    sub = _take(data, np.flatnonzero(keep))
    unscored = written | gathered if gathered is not None else written
    train_only = unscored[keep] if unscored[keep].any() else None
    real = np.flatnonzero(~unscored[keep])
    per_seed = {}
    before: dict[int, dict[str, float]] = {}
    own: dict[int, float] = {}
    last: Decisions | None = None
    for seed in seeds:
        oof = out_of_fold(
            sub,
            factories,
            folds,
            seed,
            cascade_low,
            train_only=train_only,
            band=band,
            host_weight=host_weight,
        )
        last = Decisions(oof.init, combine_in_qpv(oof.init, oof.qpv, sub.geo), oof.types, oof.kind)
        per_seed[seed] = headline_figures(sub, last, real)
        own[seed] = kind_accuracy(sub.kinds, oof.kind_own, real)
        if oof.init_before_whole is not None and oof.whole_decided is not None:
            # The same folds without the whole-text stage: the initiative figures it changes.
            init0 = oof.init_before_whole
            dec0 = Decisions(init0, combine_in_qpv(init0, oof.qpv, sub.geo), oof.types, oof.kind)
            figures = headline_figures(sub, dec0, real)
            before[seed] = {k: figures[k] for k in HEADLINES[:4]}
            before[seed]["share_decided_by_whole_text"] = float(np.mean(oof.whole_decided[real]))
    mean = {k: round(float(np.mean([f[k] for f in per_seed.values()])), 3) for k in per_seed[seeds[0]]}
    assert last is not None
    real_data = _take(sub, real)
    real_dec = Decisions(*(np.asarray(a)[real] for a in (last.init, last.in_qpv, last.types, last.kind)))
    extra: dict[str, Any] = {}
    if before:
        extra["without_whole_text"] = {
            "mean": {k: round(float(np.mean([f[k] for f in before.values()])), 3) for k in before[seeds[0]]},
            "by_fold_seed": {s: {k: round(v, 3) for k, v in f.items()} for s, f in before.items()},
        }
    extra["doc_kind_host"] = {
        "weight": host_weight,
        "accuracy_by_fold_seed": {s: round(f["doc_kind_accuracy"], 4) for s, f in per_seed.items()},
        "own_kind_accuracy_by_fold_seed": {s: round(v, 4) for s, v in own.items()},
    }
    return extra | {
        "n_scored": len(real),
        "n_written_in_training": int(written[keep].sum()),
        "n_gathered_in_training": int(gathered[keep].sum()) if gathered is not None else 0,
        "folds": folds,
        "fold_seeds": list(seeds),
        "mean": mean,
        "by_fold_seed": {s: {k: round(v, 3) for k, v in f.items()} for s, f in per_seed.items()},
        "by_kind_last_seed": summarise(real_data, real_dec, rounds=0)["by_kind"],
    }


def kind_accuracy(kinds: npt.NDArray[Any], pred: Any, idx: IntArray) -> float:
    """Document-kind accuracy over the rows ``idx`` that have a kind label."""
    kinded = idx[kinds[idx] != ""]
    return float(np.mean(kinds[kinded] == np.asarray(pred)[kinded])) if len(kinded) else 0.0


def _take(data: TaskData, idx: IntArray) -> TaskData:
    return data.take(idx)


def model_set_decisions(
    models: Any,
    texts: list[str],
    urls: list[str | None],
    embedder: Any,
    geo: IntArray | None,
    host_weight: float = 0.0,
) -> Decisions:
    """A loaded `ModelSet`'s decisions, one text = one document, as the analyzer scores it.

    ``geo`` holds the linker's in-QPV codes (`evaluation.geo_codes`); without it the in-QPV classifier
    decides. With ``host_weight``, each kind is read with the other texts of its host, as `vigie analyze`
    does over the stored pages (`host_kinds`).
    """
    scores = models.score([[t] for t in texts], [None] * len(texts), embedder, urls)
    init = np.array([int(s.initiative >= models.threshold("initiative")) for s in scores], dtype=int)
    qpv = np.array([int(s.qpv >= models.threshold("qpv")) for s in scores], dtype=int)
    proba = np.array([[s.types[t] for t in INNOVATION_TYPES] for s in scores]).reshape(len(texts), -1)
    from nlp.classifiers.estimators import apply_thresholds

    types = apply_thresholds(proba, list(models.type_thresholds.values()))
    types[proba.sum(axis=1) == 0] = 0  # texts the cascade's first stage left out get no types
    own = np.array([s.doc_kind for s in scores], dtype=object)
    kind = own
    if host_weight > 0 and all(s.doc_kind_scores for s in scores):
        hosts = [url_host(u) for u in urls]
        kind = np.array(smooth_scores(hosts, [s.doc_kind_scores for s in scores], host_weight), dtype=object)
    return Decisions(init, np.asarray(combine_in_qpv(init, qpv, geo), dtype=int), types, kind, own)
