"""Model figures on real texts: real-only grouped CV (seed + pool dev) and the blind split of the pool.

One service for `vigie evaluate models` and the floor test: it wires the classifiers, the geography
linker (in-QPV decisions, communes) and the embedder. Blind figures are aggregates only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.settings import Settings
from nlp.classifiers.evaluation import geo_codes, make_task_data
from nlp.classifiers.examples import TrainingExample
from nlp.classifiers.gathered import ORIGIN as GATHERED
from nlp.classifiers.real_evaluation import (
    BOOTSTRAP_ROUNDS,
    kind_accuracy,
    model_set_decisions,
    real_cross_validation,
    summarise,
)

log = logging.getLogger(__name__)


def load_linker(settings: Settings) -> Any:
    """The geography linker over the reference data (None when it is not there): the product's
    training linker (`vigie.wiring.make_training_linker`), commune role model included."""
    from vigie.wiring import make_training_linker

    return make_training_linker(settings)


def commune_figures(linker: Any, examples: Sequence[TrainingExample]) -> dict[str, Any]:
    """Commune precision/recall/F1 on the gold initiatives and the linker's in-QPV accuracy and F1."""
    from nlp.geo.evaluation import evaluate_geo

    records = [
        {
            "text": e.text,
            "url": e.url,
            "is_initiative": e.is_initiative,
            "communes": e.communes,
            "in_qpv": e.in_qpv,
        }
        for e in examples
    ]
    scores = evaluate_geo(linker, records).as_dict()
    keys = (
        "commune_precision",
        "commune_recall",
        "commune_f1",
        "in_qpv_accuracy",
        "in_qpv_evaluated",
        "in_qpv_f1",
    )
    return {k: scores[k] for k in keys}


def evaluate_real_cv(
    examples: list[TrainingExample],
    config: Any,
    embed: Any,
    linker: Any,
    seeds: Sequence[int] = (0, 1, 2),
    use_written: bool | None = None,
    host_weight: float = 0.0,
) -> dict[str, Any]:
    """Grouped CV on seed + pool dev, scored on real texts only (written texts train-only if used; the
    texts we gathered always train, never scored).

    ``host_weight``: each test text's kind is read with the other test texts of its host (`host_kinds`).
    """
    from nlp.classifiers.training import (
        WRITTEN_EXAMPLES,
        example_sentence_blocks,
        example_vectors,
        example_whole_vectors,
        make_factories,
    )

    written = np.array([e.origin.startswith("annotations/") for e in examples], dtype=bool)
    gathered = np.array([e.origin == GATHERED for e in examples], dtype=bool)
    texts, urls = [e.text for e in examples], [e.url for e in examples]
    geo = geo_codes(linker, texts, urls) if linker is not None else None
    whole = example_whole_vectors(examples, config, embed)
    sentences = example_sentence_blocks(examples, config, embed)
    data = make_task_data(examples, example_vectors(examples, config, embed), geo, whole, sentences)
    use = WRITTEN_EXAMPLES if use_written is None else use_written
    report = real_cross_validation(
        data,
        make_factories(config),
        written,
        config.folds,
        seeds,
        config.cascade_low,
        use_written=use,
        band=config.whole_text_band if config.whole_text else 0.0,
        host_weight=host_weight,
        gathered=gathered,
    )
    real = [e for e, w, g in zip(examples, written, gathered, strict=True) if not (w or g)]
    if linker is not None:
        report["communes_dev"] = commune_figures(linker, real)
    return report


def evaluate_blind(
    model_dir: Path,
    blind: list[TrainingExample],
    embedder: Any,
    linker: Any,
    rounds: int = BOOTSTRAP_ROUNDS,
    version: str | None = None,
    host_weight: float = 0.0,
) -> dict[str, Any]:
    """The promoted models of ``model_dir`` (or its ``version``) scored once on the blind examples.

    ``host_weight``: each kind is read with the other blind texts of its host (`host_kinds`); the report's
    ``doc_kind_host`` gives the weight and the accuracy of the texts' own kinds.
    """
    from nlp.classifiers.models import load_models, load_version

    models = load_models(model_dir) if version is None else load_version(model_dir, version)
    texts, urls = [e.text for e in blind], [e.url for e in blind]
    geo = geo_codes(linker, texts, urls) if linker is not None else None
    data = make_task_data(blind, None, geo)
    decisions = model_set_decisions(
        models, texts, urls, embedder if models.needs_embeddings else None, geo, host_weight
    )
    report = {"version": models.version, "geo_linker": linker is not None} | summarise(
        data, decisions, rounds
    )
    every = np.arange(len(blind))
    report["doc_kind_host"] = {
        "weight": host_weight,
        "applied": decisions.kind_own is not None and decisions.kind is not decisions.kind_own,
        "own_kind_accuracy": round(kind_accuracy(data.kinds, decisions.kind_own, every), 3),
    }
    if linker is not None:
        report["communes"] = commune_figures(linker, blind)
    log.info("blind split scored version=%s n=%d", models.version, len(blind))
    return report


def evaluate_blind_trained(
    promoted_dir: Path | None,
    examples: list[TrainingExample],
    blind: list[TrainingExample],
    config: Any,
    embed: Any,
    current_embed: Any,
    linker: Any,
    version: str | None = None,
    host_weight: float = 0.0,
) -> dict[str, Any]:
    """The blind split scored by the promoted models (``promoted_dir``) or by models trained on ``examples``.

    With ``version``, the models of that version in ``promoted_dir`` are scored, promoted or not.
    Trained models go to a temporary folder (never promoted); ``examples`` must be seed + pool dev.
    """
    import tempfile

    from nlp.classifiers.training import train_all

    embedder = _Embedder(embed or current_embed) if (embed or current_embed) else None
    if promoted_dir is not None:
        return evaluate_blind(promoted_dir, blind, embedder, linker, version=version, host_weight=host_weight)
    with tempfile.TemporaryDirectory(prefix="vigie-blind-") as tmp:
        train_all(
            examples,
            Path(tmp),
            config=config,
            embed=embed,
            version="blind-eval",
            run_cv=False,
            make_current=True,
        )
        return evaluate_blind(Path(tmp), blind, embedder, linker, host_weight=host_weight)


class _Embedder:
    """Gives an embedding function the `embed_passages` method `ModelSet.score` calls."""

    def __init__(self, embed: Any) -> None:
        self.embed_passages = embed
