"""One training path for `vigie train` and the web UI: gather examples, cross-validate, fit, save."""

from __future__ import annotations

import hashlib
import logging
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.domain import INNOVATION_TYPES
from core.errors import InputError, ModelError
from core.settings import Settings
from core.storage.tables import AnalysisRow, AnnotationRow, PageRow, ReviewRow
from nlp.classifiers.doc_kind import DocKindModel
from nlp.classifiers.estimators import BinaryTextClassifier, DocKindClassifier, MultiLabelTypeClassifier
from nlp.classifiers.evaluation import (
    HOLDOUT_SHARE,
    Factories,
    OutOfFold,
    TaskData,
    build_report,
    current_decisions,
    geo_codes,
    holdout_mask,
    holdout_report,
    make_task_data,
    out_of_fold,
)
from nlp.classifiers.examples import (
    TrainingExample,
    assign_groups,
    examples_hash,
    load_jsonl_examples,
    parse_example,
)
from nlp.classifiers.features import chunked_vectors
from nlp.classifiers.gathered import LABELS_FILE as GATHERED_LABELS
from nlp.classifiers.gathered import load_gathered_examples
from nlp.classifiers.models import load_models
from nlp.classifiers.pool import CORRECTIONS_FILE, drop_blind, load_pool_examples
from nlp.classifiers.sentence_read import SentenceReadClassifier, sentence_blocks
from nlp.classifiers.store import WHOLE_TEXT_TASK, promote, read_current, save_model

log = logging.getLogger(__name__)
# data/annotations files named *-corrections.jsonl (e.g. pool-corrections.jsonl) hold label corrections.
CORRECTIONS_SUFFIX = "-corrections.jsonl"

Embed = Callable[[list[str]], npt.NDArray[np.float32]]
# Embeddings read pieces of 500 characters (the e5 model is slow on long inputs; see docs/models.md).
EMBED_CHARS = 500
# Which half of the [head | mean] embedding features each task reads (measured, docs/models.md): the
# mean over the first `embed_pieces` helps initiative detection; types do as well on the head.
EMBEDDING_VIEWS = {"initiative": "mean", "qpv": "mean", "types": "head"}
# Whether the team's written examples (data/annotations/vigie-examples*.jsonl) join the training data.
WRITTEN_EXAMPLES = False


@dataclass
class TrainConfig:
    """Hyper-parameters shared by every task."""

    C: float = 16.0
    char_ngrams: bool = False
    use_embeddings: bool = False
    folds: int = 5
    # With embeddings: passages the TF-IDF stage scores below this are negatives, never embedded.
    cascade_low: float = 0.25
    # With embeddings: sizes of the leading pieces embedded and averaged (the first is EMBED_CHARS).
    embed_pieces: tuple[int, ...] = (EMBED_CHARS, 400)
    # Weight of each type's own cue-sentence share in the types model (nlp.classifiers.cues; 0: none).
    type_cues: float = 0.5
    # Term-frequency scaling of the types model's word TF-IDF: raw counts (False) since v7; the other
    # tasks keep 1 + log(count) (docs/models.md).
    types_sublinear_tf: bool = False
    # The initiative detectors' word TF-IDF counts each word once (binary) since v8 (docs/models.md).
    initiative_binary_tf: bool = True
    # Document kind: `DocKindModel` (URL character n-grams + text words) since v9; False: v8's
    # `DocKindClassifier` (URL words joined to the text).
    doc_kind_url_chars: bool = True
    doc_kind_C: float = 8.0
    # Weight of the URL cues of who publishes the page (`nlp.classifiers.url_cues`; 0: none, as up to v10),
    # measured in docs/models.md (eighth round); their place names come from ``reference_dir`` (None: the
    # settings' reference folder).
    doc_kind_url_cues: float = 0.3
    # Weight of the text's own cues of speaker and genre (`nlp.classifiers.text_cues`; 0: none, as in v11),
    # measured in docs/models.md (eighth round, second pass).
    doc_kind_text_cues: float = 0.3
    reference_dir: str | None = None
    # With embeddings (v10): texts whose initiative score lies within this band of its threshold are
    # decided by a second initiative model on the e5 mean of these pieces (the whole text to 2,400
    # characters; it must start with `embed_pieces`, whose embeddings are reused). 0: no such stage.
    whole_text_band: float = 0.10
    whole_text_pieces: tuple[int, ...] = (EMBED_CHARS, 400, 500, 500, 500)
    # With embeddings: weight of the sentence reader's three columns (`nlp.classifiers.sentence_read`: each
    # sentence's e5 embedding scored on its own; best, best three, mean) in the three initiative models
    # (TF-IDF stage, main, whole-text); 0: none, as up to v12. Every passage then embeds its sentences.
    initiative_sentence_read: float = 0.0

    @property
    def whole_text(self) -> bool:
        """Whether the models get the whole-text stage of the initiative cascade."""
        return self.use_embeddings and self.whole_text_band > 0

    @property
    def features(self) -> str:
        """Human-readable feature set."""
        parts = ["tfidf-word-1-2"] + (["tfidf-char-3-5"] if self.char_ngrams else [])
        return "+".join(parts + (["e5-small"] if self.use_embeddings else []))


def load_training_examples(
    settings: Settings,
    session_factory: sessionmaker[Session] | None = None,
    *,
    written: bool = WRITTEN_EXAMPLES,
) -> list[TrainingExample]:
    """Seed file + the pool's dev ids + the texts we gathered (`gathered`) + (``written``)
    data/annotations/*.jsonl + DB annotations and reviews.

    Blind ids of the pool split never come back, whatever the source (`pool.drop_blind`).
    """
    examples: list[TrainingExample] = []
    if settings.seed_annotations is not None and settings.seed_annotations.exists():
        examples += load_jsonl_examples(settings.seed_annotations, "seed")
    else:
        log.warning("seed annotations not found path=%s", settings.seed_annotations)
    if settings.pool_annotations is not None and settings.pool_annotations.exists():
        corrections = settings.annotations_dir / CORRECTIONS_FILE
        examples += load_pool_examples(settings.pool_annotations, settings.splits_dir, "dev", corrections)
    else:
        log.warning("pool annotations not found path=%s", settings.pool_annotations)
    examples += load_gathered_examples(settings.annotations_dir / GATHERED_LABELS, settings.gathered_texts)
    if written and settings.annotations_dir.is_dir():
        for path in sorted(settings.annotations_dir.glob("*.jsonl")):
            if path.name.endswith(CORRECTIONS_SUFFIX):
                continue  # label corrections of texts kept elsewhere (ids + fields, no text): not examples
            examples += load_jsonl_examples(path, f"annotations/{path.name}")
    if session_factory is not None:
        examples += load_db_examples(session_factory)
    if not examples:
        raise InputError(
            "no training examples found",
            hint="set VIGIE_SEED_ANNOTATIONS / VIGIE_POOL_ANNOTATIONS or add JSONL files to"
            " VIGIE_ANNOTATIONS_DIR",
        )
    return assign_groups(drop_blind(_dedupe(examples), settings.splits_dir))


def load_blind_examples(settings: Settings) -> list[TrainingExample]:
    """The pool's blind ids (labels corrected): scored once per promoted model, never trained on."""
    if settings.pool_annotations is None or not settings.pool_annotations.exists():
        raise InputError(
            f"pool annotations not found ({settings.pool_annotations})",
            hint="set VIGIE_POOL_ANNOTATIONS to the pool's pool.jsonl",
        )
    corrections = settings.annotations_dir / CORRECTIONS_FILE
    return load_pool_examples(settings.pool_annotations, settings.splits_dir, "blind", corrections)


def _dedupe(examples: list[TrainingExample]) -> list[TrainingExample]:
    """Later sources win for the same id (DB corrections override files)."""
    by_id: dict[str, TrainingExample] = {}
    for ex in examples:
        by_id[ex.id] = ex
    return list(by_id.values())


def load_db_examples(session_factory: sessionmaker[Session]) -> list[TrainingExample]:
    """Annotations (latest per document) and review decisions of stored pages, as examples."""
    out: dict[str, TrainingExample] = {}
    with session_factory() as session:
        texts = dict(session.execute(select(PageRow.id, PageRow.text)).tuples().all())
        for review in session.scalars(select(ReviewRow).where(ReviewRow.status != "pending")):
            analysis = session.get(AnalysisRow, review.doc_id)
            labels = dict(analysis.result) if analysis is not None else {}
            labels |= {"is_initiative": review.status == "validated"} | dict(review.corrections or {})
            if not labels["is_initiative"]:
                labels |= {"innovation_types": [], "in_qpv": None}
            _add_db_example(out, review.doc_id, texts, labels, "review")
        rows = session.scalars(select(AnnotationRow).order_by(AnnotationRow.created_at, AnnotationRow.id))
        for row in rows:
            _add_db_example(out, row.doc_id, texts, dict(row.labels), "annotation")
    return list(out.values())


def _add_db_example(
    out: dict[str, TrainingExample], doc_id: str, texts: dict[str, str], labels: dict[str, Any], origin: str
) -> None:
    text = texts.get(doc_id)
    if not text or labels.get("is_initiative") is None:
        return
    record = {k: labels.get(k) for k in ("is_initiative", "in_qpv", "innovation_types", "doc_kind")}
    try:
        out[doc_id] = parse_example({"id": doc_id, "text": text, **record}, f"db/{origin}")
    except InputError as exc:
        log.warning("skipped db label doc_id=%s reason=%s", doc_id, exc)


def example_vectors(
    examples: list[TrainingExample], config: TrainConfig, embed: Embed | None
) -> npt.NDArray[np.float32] | None:
    """The [head | mean] embedding features of the examples (None without embeddings)."""
    if not config.use_embeddings or embed is None:
        return None
    return chunked_vectors(embed, [e.text for e in examples], config.embed_pieces)


def example_whole_vectors(
    examples: list[TrainingExample], config: TrainConfig, embed: Embed | None
) -> npt.NDArray[np.float32] | None:
    """The [head | mean] features over `TrainConfig.whole_text_pieces` (None without that stage)."""
    if not config.whole_text or embed is None:
        return None
    if tuple(config.whole_text_pieces[: len(config.embed_pieces)]) != tuple(config.embed_pieces):
        raise InputError(
            f"whole_text_pieces {config.whole_text_pieces} must start with"
            f" embed_pieces {config.embed_pieces}",
            hint="the whole-text stage reuses the embeddings of the first pieces",
        )
    return chunked_vectors(embed, [e.text for e in examples], config.whole_text_pieces)


def example_sentence_blocks(
    examples: list[TrainingExample], config: TrainConfig, embed: Embed | None
) -> list[npt.NDArray[np.float32]] | None:
    """Each example's sentence embeddings (None unless the initiative models read them)."""
    if config.initiative_sentence_read <= 0 or embed is None:
        return None
    return sentence_blocks(embed, [e.text for e in examples])


def _initiative(config: TrainConfig, **kw: Any) -> BinaryTextClassifier:
    """An initiative detector, reading the sentences when the config says so."""
    if config.initiative_sentence_read > 0:
        return SentenceReadClassifier(**kw, sentence_weight=config.initiative_sentence_read)
    return BinaryTextClassifier(**kw)


def make_factories(config: TrainConfig) -> Factories:
    """A fresh estimator per task, configured (document kind never needs embeddings)."""
    common: dict[str, Any] = {
        "C": config.C,
        "char_ngrams": config.char_ngrams,
        "use_embeddings": config.use_embeddings,
    }
    lexical = common | {"use_embeddings": False}
    views = EMBEDDING_VIEWS if config.use_embeddings else {}
    factories: Factories = {
        "initiative": lambda: _initiative(
            config, **common, embedding_view=views.get("initiative"), binary_tf=config.initiative_binary_tf
        ),
        "qpv": lambda: BinaryTextClassifier(**common, embedding_view=views.get("qpv")),
        "types": lambda: MultiLabelTypeClassifier(
            labels=INNOVATION_TYPES,
            **common,
            embedding_view=views.get("types"),
            type_cues=config.type_cues,
            sublinear_tf=config.types_sublinear_tf,
        ),
        "doc_kind": (
            (
                lambda: DocKindModel(
                    C=config.doc_kind_C,
                    url_weight=1.0,
                    url_cues=config.doc_kind_url_cues,
                    text_cues=config.doc_kind_text_cues,
                    reference_dir=config.reference_dir,
                )
            )
            if config.doc_kind_url_chars
            else (lambda: DocKindClassifier(**lexical))
        ),
    }
    if config.use_embeddings:
        factories["initiative_fast"] = lambda: _initiative(
            config, **lexical, binary_tf=config.initiative_binary_tf
        )
    if config.whole_text:
        factories[WHOLE_TEXT_TASK] = lambda: _initiative(
            config, **common, embedding_view="mean", binary_tf=config.initiative_binary_tf
        )
    return factories


def fit_all(data: TaskData, factories: Factories) -> dict[str, Any]:
    """Fit every task on all the data."""
    pos = np.flatnonzero(data.is_init == 1)
    kinded = np.flatnonzero(data.kinds != "")
    models = {
        "initiative": factories["initiative"]().fit(data.batch, data.is_init),
        "qpv": factories["qpv"]().fit(data.batch.take(pos), data.in_qpv[pos]),
        "types": factories["types"]().fit(data.batch.take(pos), data.types[pos]),
        "doc_kind": factories["doc_kind"]().fit(data.batch.take(kinded), data.kinds[kinded]),
    }
    if "initiative_fast" in factories:
        models["initiative_fast"] = factories["initiative_fast"]().fit(data.batch, data.is_init)
    if WHOLE_TEXT_TASK in factories:
        models[WHOLE_TEXT_TASK] = factories[WHOLE_TEXT_TASK]().fit(data.whole_batch(), data.is_init)
    return models


def _thresholds(task: str, model: Any) -> dict[str, float]:
    if task in ("initiative", "qpv", "initiative_fast", WHOLE_TEXT_TASK):
        return {"positive": float(model.threshold_)}
    if task == "types":
        return {t: float(v) for t, v in zip(INNOVATION_TYPES, model.thresholds_, strict=True)}
    return {}


def _library_versions() -> dict[str, str]:
    import joblib
    import scipy
    import sklearn
    import spacy

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
        "spacy": spacy.__version__,  # type: ignore[attr-defined]  # spacy has no __all__ for it
    }


class _Embedder:
    """Gives an embedding function the `embed_passages` method `ModelSet.score` calls."""

    def __init__(self, embed: Embed) -> None:
        self.embed_passages = embed


def _id_hash(example_id: str) -> str:
    return hashlib.sha256(example_id.encode()).hexdigest()[:12]


def example_id_hashes(ids: list[str]) -> list[str]:
    """Short stable hashes of training example ids, recorded in meta.json (no text, no raw id)."""
    return sorted(map(_id_hash, ids))


def _compared_mask(models: Any, ids: list[str], mask: npt.NDArray[np.bool_]) -> tuple[Any, int | None]:
    """Held-out examples to compare on, and how many the promoted models were trained on.

    When the promoted models recorded their training ids, the comparison keeps the held-out examples
    they never saw (unless they saw them all); older models did not record them (None: unknown).
    """
    recorded = models.models["initiative"].meta.get("example_id_hashes")
    if recorded is None:
        return mask, None
    known = set(recorded)
    seen = mask & np.array([_id_hash(i) in known for i in ids], dtype=bool)
    n_seen = int(seen.sum())
    unseen = mask & ~seen
    return (unseen if unseen.any() else mask), n_seen


def compare_with_current(
    data: TaskData, oof: OutOfFold, model_dir: Path, embed: Embed | None = None, ids: list[str] | None = None
) -> dict[str, Any] | None:
    """The candidate's out-of-fold decisions and the promoted models' on the same held-out examples.

    Held out = the groups `holdout_mask` picks (~20 %). The candidate's figures come from fold models
    that never saw those examples. Given the example ``ids``, examples the promoted models were trained
    on are left out when some are left (``current_seen`` counts them; None when unknown), else the
    figures of the promoted models are optimistic. None when nothing is promoted yet.
    """
    if not read_current(model_dir):
        return None
    holdout = holdout_mask(data.groups)
    out: dict[str, Any] = {"holdout_share": HOLDOUT_SHARE, "n_holdout": int(holdout.sum())}
    try:
        models = load_models(model_dir)
    except ModelError as exc:
        return out | {"current_version": None, "skipped": f"promoted models not loadable: {exc}"}
    mask, n_seen = _compared_mask(models, ids, holdout) if ids is not None else (holdout, None)
    out |= {
        "current_version": models.version,
        "current_data_hash": models.models["initiative"].meta.get("data_hash"),
        "current_seen": n_seen,
        "n_compared": int(mask.sum()),
        "n_compared_initiatives": int((mask & (data.is_init == 1)).sum()),
        "geo_linker": data.geo is not None,
    }
    if not mask.any():
        return out | {"skipped": "no example in the held-out share (too few groups)"}
    if models.needs_embeddings and embed is None:
        return out | {"skipped": "the promoted models need sentence embeddings and no embedder was given"}
    idx = np.flatnonzero(mask)
    init, qpv, types = (np.zeros_like(a) for a in (oof.init, oof.qpv, oof.types))
    texts = [data.batch.texts[i] for i in idx]
    init[idx], qpv[idx], types[idx] = current_decisions(models, texts, _Embedder(embed) if embed else None)
    out["candidate"] = holdout_report(data, mask, oof.init, oof.qpv, oof.types)
    out["current"] = holdout_report(data, mask, init, qpv, types)
    log.info("held-out comparison n=%d seen=%s current=%s", out["n_compared"], n_seen, out["current"])
    return out


def _meta(
    task: str, version: str, model: Any, config: TrainConfig, examples: list[TrainingExample]
) -> dict[str, Any]:
    """meta.json of one task's model (metrics are added by the caller)."""
    whole = task == WHOLE_TEXT_TASK
    pieces = config.whole_text_pieces if whole else config.embed_pieces
    return {
        "task": task,
        "version": version,
        "estimator": type(model).__name__,
        "features": config.features,
        "config": asdict(config),
        "embed_chars": EMBED_CHARS if config.use_embeddings else None,
        "embed_pieces": list(pieces) if config.use_embeddings else None,
        "embedding_view": ("mean" if whole else EMBEDDING_VIEWS.get(task)) if config.use_embeddings else None,
        # The whole-text stage decides the texts whose initiative score lies within this of its threshold.
        "cascade_band": config.whole_text_band if whole else None,
        "data_hash": examples_hash(examples),
        "example_id_hashes": example_id_hashes([e.id for e in examples]),
        "n_examples": len(examples),
        "data_origins": sorted({e.origin for e in examples}),
        "library_versions": _library_versions(),
        "thresholds": _thresholds(task, model),
        "cascade_low": config.cascade_low if task == "initiative_fast" else None,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def train_all(
    examples: list[TrainingExample],
    out_dir: Path,
    *,
    config: TrainConfig | None = None,
    embed: Embed | None = None,
    version: str | None = None,
    run_cv: bool = True,
    make_current: bool = False,
    linker: Any = None,
    current_embed: Embed | None = None,
) -> dict[str, Any]:
    """Cross-validate (grouped 5-fold), fit on everything, save models/<task>/<version>/; returns metrics.

    ``linker`` (the geography linker) lets the report measure in-QPV detection as the analyzer makes it.
    With cross-validation and promoted models in ``out_dir``, both are scored on the same held-out
    examples (``compare_with_current`` in the report and in every meta.json); ``current_embed`` embeds
    texts for promoted models that need embeddings when the candidate does not (defaults to ``embed``).
    """
    config = config or TrainConfig(use_embeddings=embed is not None)
    if config.use_embeddings and embed is None:
        raise InputError("embedding features asked but no embedder given", hint="pass embed= or disable them")
    if config.initiative_sentence_read > 0 and not config.use_embeddings:
        raise InputError(
            "the sentence reader needs embeddings", hint="set use_embeddings or initiative_sentence_read=0"
        )
    examples = assign_groups(examples) if not all(e.group for e in examples) else examples
    vectors = example_vectors(examples, config, embed)
    texts, urls = [e.text for e in examples], [e.url for e in examples]
    geo = geo_codes(linker, texts, urls) if linker is not None and run_cv else None
    whole = example_whole_vectors(examples, config, embed)
    data = make_task_data(examples, vectors, geo, whole, example_sentence_blocks(examples, config, embed))
    factories = make_factories(config)
    metrics: dict[str, Any] = {}
    comparison = None
    if run_cv:
        oof = out_of_fold(
            data, factories, config.folds, cascade_low=config.cascade_low, band=config.whole_text_band
        )
        metrics = build_report(data, oof, config.folds)
        ids = [e.id for e in examples]
        comparison = compare_with_current(data, oof, out_dir, current_embed or embed, ids)
    models = fit_all(data, factories)
    version = version or datetime.now(UTC).strftime("v%Y%m%d-%H%M%S")
    for task in models:
        meta = _meta(task, version, models[task], config, examples)
        meta["cv_metrics"] = metrics.get({"qpv": "initiative_in_qpv"}.get(task, task), {})
        meta["compare_with_current"] = comparison
        save_model(out_dir, task, version, models[task], meta)
    if make_current:
        promote(out_dir, dict.fromkeys(models, version))
    extra = {"compare_with_current": comparison} if comparison else {}
    return {"version": version, "features": config.features, **metrics, **extra}
