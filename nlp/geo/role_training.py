"""Train and cross-validate the commune role model (``roles.py``) on the seed and the pool's dev initiatives.

Every commune candidate of the rules is an example, labelled positive when it is among the text's gold
communes (matched through the gazetteer, as `vigie evaluate geo` does). Choices (feature set, C, the
decision threshold) are made inside each training fold by an inner grouped CV; the outer out-of-fold
figures are scored by the real linker carrying the fold's model, so they are the figures
`vigie evaluate geo` would give on texts the model has not seen. The pool's blind ids are never read.

The initiatives we gathered ourselves (origin ``gathered``, `nlp.classifiers.gathered`) are training-only:
they join every training part (outer and inner folds) and are never scored; one whose group (site or
initiative name, grouped with all the other texts) has a text in a fold's test part stays out of that
fold. The folds are drawn over the scored texts only, so a run with and without them uses the same folds.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import InputError
from nlp.geo.evaluation import (
    COMMUNE_THRESHOLD,
    GeoScores,
    _gold_codes,
    evaluate_geo,
    iter_pool_part,
    iter_records,
)
from nlp.geo.linker import GeoLinker
from nlp.geo.roles import RoleModel

logger = logging.getLogger(__name__)

WORD_PREFIXES = ("w:", "a:", "p:", "s:")
# word features each set may add: (prefixes, how many at most); "p:" the word before a mention, "s:" the
# sentence cues, "w:"/"a:" the words before/after (tried: they overfit, see docs/geo.md)
FEATURE_SETS: dict[str, tuple[tuple[str, ...], int]] = {
    "rules": ((), 0),
    "prev": (("p:",), 50),
    "prev_cues": (("p:", "s:"), 100),
}
C_GRID = (0.03, 0.1, 0.3)
THRESHOLDS = tuple(round(float(t), 3) for t in np.arange(0.35, 0.626, 0.025))
MIN_WORD_DF = 5  # a word feature must occur around this many training candidates
FOLDS = 5
FIGURES = (
    "initiatives",
    "commune_precision",
    "commune_recall",
    "commune_f1",
    "in_qpv_precision",
    "in_qpv_recall",
    "in_qpv_f1",
)
INNER_FOLDS = 4
SCORED = ("seed", "pool")
TRAIN_ONLY = "gathered"


@dataclass
class RoleText:
    """One gold initiative: its candidates' features and labels, what the rules predict, its gold."""

    id: str
    origin: str  # "seed", "pool" or "gathered" (training only, never scored)
    record: dict[str, Any]
    insees: list[str]
    features: list[dict[str, float]]
    labels: list[int]
    gold: list[set[str]]  # the gazetteer codes each gold name may denote
    foreign: set[str]  # foreign place ids the rules report (the model never sees foreign texts)
    group: str = ""


@dataclass
class Choice:
    """What the inner CV chose: feature set, C, threshold, and the words kept."""

    feature_set: str
    c: float
    threshold: float
    words: list[str] = field(default_factory=list)


def load_role_texts(
    linker: GeoLinker,
    seed: Path | None,
    pool: Path | None,
    splits_dir: Path,
    corrections: Path | None,
    gathered: Iterable[dict[str, Any]] = (),
) -> list[RoleText]:
    """The seed's and the pool dev's initiatives as role examples (blind ids dropped as the pool is read),
    then the ``gathered`` initiatives (label records with their text) as training-only examples. Groups
    are assigned over all of them together."""
    from nlp.classifiers.examples import assign_groups, parse_example
    from nlp.classifiers.pool import load_split

    blind = load_split(splits_dir).blind
    sources: list[tuple[str, Iterable[dict[str, Any]]]] = []
    if seed is not None:
        sources.append(("seed", iter_records([seed])))
    if pool is not None:
        sources.append(("pool", iter_pool_part(pool, splits_dir, "dev", corrections)))
    sources.append((TRAIN_ONLY, gathered))
    texts: list[RoleText] = []
    seen: set[str] = set()
    for origin, records in sources:
        for record in records:
            identifier = str(record.get("id"))
            assert identifier not in blind, "a blind pool id reached the role training"
            if identifier in seen:
                raise InputError(f"role training: id {identifier} read twice", hint="ids must be unique")
            seen.add(identifier)
            if record.get("is_initiative"):
                texts.append(_role_text(linker, record, origin))
    examples = assign_groups(parse_example(t.record, t.origin) for t in texts)
    for text, example in zip(texts, examples, strict=True):
        text.group = example.group
    return texts


def _role_text(linker: GeoLinker, record: dict[str, Any], origin: str) -> RoleText:
    result, rows = linker.link_with_features(record["text"], url=record.get("url"))
    gold = [_gold_codes(linker, n) for n in dict.fromkeys(record.get("communes") or []) if n]
    positives = set().union(*gold) if gold else set()
    foreign = {p.place_id for p in result.foreign_places if p.confidence >= COMMUNE_THRESHOLD}
    return RoleText(
        id=str(record.get("id")),
        origin=origin,
        record=record,
        insees=[i for i, _ in rows],
        features=[f for _, f in rows],
        labels=[int(i in positives) for i, _ in rows],
        gold=gold,
        foreign=foreign,
    )


def data_hash(texts: Sequence[RoleText]) -> str:
    """A stable hash of the texts, URLs and gold communes the model was trained on."""
    digest = hashlib.sha256()
    for t in sorted(texts, key=lambda t: t.id):
        item = [t.id, t.record["text"], t.record.get("url"), t.record.get("communes")]
        digest.update(json.dumps(item, ensure_ascii=False).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- fitting
def choose_words(texts: Sequence[RoleText], feature_set: str) -> list[str]:
    """The word features of ``feature_set`` found around the most training candidates (at least
    MIN_WORD_DF of them)."""
    prefixes, limit = FEATURE_SETS[feature_set]
    if limit <= 0:
        return []
    counts: dict[str, int] = {}
    for t in texts:
        for f in t.features:
            for k in f:
                if k.startswith(prefixes):
                    counts[k] = counts.get(k, 0) + 1
    ranked = sorted((k for k, n in counts.items() if n >= MIN_WORD_DF), key=lambda k: (-counts[k], k))
    return ranked[:limit]


def _names(texts: Sequence[RoleText], words: list[str]) -> list[str]:
    base = sorted({k for t in texts for f in t.features for k in f if not k.startswith(WORD_PREFIXES)})
    return base + words


def _matrix(texts: Sequence[RoleText], names: list[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[Any]]:
    index = {n: j for j, n in enumerate(names)}
    rows = [f for t in texts for f in t.features]
    x = np.zeros((len(rows), len(names)))
    for i, f in enumerate(rows):
        for k, v in f.items():
            j = index.get(k)
            if j is not None:
                x[i, j] = v
    y = np.array([label for t in texts for label in t.labels], dtype=int)
    return x, y


def fit_model(texts: Sequence[RoleText], choice: Choice, version: str = "") -> RoleModel:
    """A logistic regression on every candidate of ``texts`` with the chosen features and C."""
    from sklearn.linear_model import LogisticRegression

    names = _names(texts, choice.words)
    x, y = _matrix(texts, names)
    if len(set(y.tolist())) < 2:
        raise ValueError("role training needs both positive and negative candidates")
    lr = LogisticRegression(C=choice.c, max_iter=2000).fit(x, y)
    weights = {n: round(float(w), 5) for n, w in zip(names, lr.coef_[0], strict=True) if abs(w) > 1e-6}
    return RoleModel(weights, round(float(lr.intercept_[0]), 5), choice.threshold, version)


# ---------------------------------------------------------------- scoring
def _counts(
    texts: Sequence[RoleText], probs: Sequence[Sequence[float]], threshold: float
) -> tuple[int, int, int]:
    """Commune TP/FP/FN when candidates at ``threshold`` or above are predicted (as `_match_communes`)."""
    tp = fp = fn = 0
    for t, p in zip(texts, probs, strict=True):
        predicted = {i for i, q in zip(t.insees, p, strict=True) if q >= threshold} | t.foreign
        matched: set[str] = set()
        hits = 0
        for codes in t.gold:
            hit = codes & (predicted - matched)
            if hit:
                hits += 1
                matched.add(sorted(hit)[0])
        tp += hits
        fp += len(predicted - matched)
        fn += len(t.gold) - hits
    return tp, fp, fn


def _f1(tp: int, fp: int, fn: int) -> float:
    return 2 * tp / max(1, 2 * tp + fp + fn)


def _group_folds(texts: Sequence[RoleText], folds: int, seed: int) -> list[npt.NDArray[np.int_]]:
    """Held-out text indices of each fold, grouped by site/initiative, both origins in every fold. Only
    scored texts are dealt into folds (a training-only text is never held out)."""
    from sklearn.model_selection import StratifiedGroupKFold

    scored = np.array([i for i, t in enumerate(texts) if t.origin != TRAIN_ONLY], dtype=int)
    groups = np.array([texts[i].group for i in scored])
    strata = np.array([texts[i].origin for i in scored])
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return [scored[test] for _, test in splitter.split(np.zeros(len(scored)), strata, groups)]


def _training_part(texts: Sequence[RoleText], test: npt.NDArray[np.int_]) -> list[RoleText]:
    """The texts a fold trains on: every text not held out, except a training-only text whose group has
    a held-out text (it could carry the same site or initiative into training)."""
    held = set(test.tolist())
    held_groups = {texts[i].group for i in held}
    return [
        t
        for i, t in enumerate(texts)
        if i not in held and not (t.origin == TRAIN_ONLY and t.group in held_groups)
    ]


def choose(texts: Sequence[RoleText], seed: int = 0, folds: int = INNER_FOLDS) -> Choice:
    """Feature set, C and threshold with the best pooled commune F1 over a grouped CV of ``texts``."""
    held = _group_folds(texts, folds, seed)
    scored = [i for i, t in enumerate(texts) if t.origin != TRAIN_ONLY]
    scored_texts = [texts[i] for i in scored]
    best: tuple[float, Choice] | None = None
    for set_name in FEATURE_SETS:
        for c in C_GRID:
            probs: list[list[float]] = [[] for _ in texts]
            for test in held:
                train = _training_part(texts, test)
                model = fit_model(train, Choice(set_name, c, 0.5, choose_words(train, set_name)))
                for i in test:
                    probs[i] = [_probability(model, f) for f in texts[i].features]
            scored_probs = [probs[i] for i in scored]
            for threshold in THRESHOLDS:
                score = _f1(*_counts(scored_texts, scored_probs, threshold))
                if best is None or score > best[0] + 1e-9:
                    best = (score, Choice(set_name, c, threshold))
    assert best is not None
    choice = best[1]
    choice.words = choose_words(texts, choice.feature_set)
    return choice


def _probability(model: RoleModel, features: dict[str, float]) -> float:
    z = model.intercept + sum(model.weights.get(k, 0.0) * v for k, v in features.items())
    return float(1.0 / (1.0 + np.exp(-z)))


def out_of_fold(
    linker: GeoLinker, texts: Sequence[RoleText], seed: int, folds: int = FOLDS
) -> dict[str, Any]:
    """Outer grouped CV: each fold's model chosen and fitted on the other folds, then the real linker
    carrying it scores the held-out texts. Figures per origin, next to the rules on the same texts."""
    learned = {"seed": GeoScores(), "pool": GeoScores()}
    rules = {"seed": GeoScores(), "pool": GeoScores()}
    choices = []
    n_train_only: list[int] = []
    saved = linker.roles
    try:
        for test in _group_folds(texts, folds, seed):
            train = _training_part(texts, test)
            n_train_only.append(sum(1 for t in train if t.origin == TRAIN_ONLY))
            choice = choose(train, seed)
            choices.append(f"{choice.feature_set}/C={choice.c}/t={choice.threshold}")
            model = fit_model(train, choice)
            for origin in learned:
                held = [texts[i].record for i in test if texts[i].origin == origin]
                linker.roles = model
                _add(learned[origin], evaluate_geo(linker, held))
                linker.roles = None
                _add(rules[origin], evaluate_geo(linker, held))
    finally:
        linker.roles = saved
    return {
        "fold_seed": seed,
        "choices": choices,
        "train_only_per_fold": n_train_only,
        **{f"{origin}_learned": _figures(s) for origin, s in learned.items()},
        **{f"{origin}_rules": _figures(s) for origin, s in rules.items()},
    }


def _add(total: GeoScores, part: GeoScores) -> None:
    """Add ``part``'s counts to ``total``: every integer field of `GeoScores` (a new count is not missed)."""
    for item in fields(GeoScores):
        value = getattr(part, item.name)
        if isinstance(value, int):
            setattr(total, item.name, getattr(total, item.name) + value)


def _figures(scores: GeoScores) -> dict[str, float]:
    d = scores.as_dict()
    return {k: d[k] for k in FIGURES}


def train_role_model(
    linker: GeoLinker, texts: Sequence[RoleText], version: str, fold_seeds: Sequence[int] = ()
) -> tuple[RoleModel, dict[str, Any]]:
    """The model fitted on every text with the choices of a grouped CV over all of them, and its meta
    (data hash, choices, and the out-of-fold figures of each fold seed in ``fold_seeds``)."""
    import sklearn

    choice = choose(texts)
    model = fit_model(texts, choice, version)
    cv = [out_of_fold(linker, texts, seed) for seed in fold_seeds]
    meta = {
        "version": version,
        "data_hash": data_hash(texts),
        "n_texts": {o: sum(1 for t in texts if t.origin == o) for o in (*SCORED, TRAIN_ONLY)},
        "n_candidates": sum(len(t.insees) for t in texts),
        "n_positive": sum(sum(t.labels) for t in texts),
        "choice": {"feature_set": choice.feature_set, "C": choice.c, "threshold": choice.threshold},
        "sklearn": sklearn.__version__,
        "cv": cv,
    }
    return model, meta


def save_role_model(model: RoleModel, meta: dict[str, Any], folder: Path) -> Path:
    """Write ``weights.json`` (weights + meta) into ``folder``; written whole, then renamed."""
    from nlp.geo.roles import WEIGHTS_FILE

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / WEIGHTS_FILE
    partial = target.with_suffix(".json.part")
    partial.write_text(json.dumps(model.to_json(meta), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    partial.replace(target)
    return target
