"""The promoted models of every task, loaded once per process, scoring texts passage by passage."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.domain import INNOVATION_TYPES
from nlp.classifiers.cascade import rescore_band
from nlp.classifiers.features import TextBatch, chunk_texts, chunked_vectors, piece_blocks, pooled_vectors
from nlp.classifiers.sentence_read import SentenceReadClassifier, sentence_blocks
from nlp.classifiers.store import (
    OPTIONAL_TASKS,
    TASKS,
    WHOLE_TEXT_TASK,
    StoredModel,
    load_model,
    read_current,
)

log = logging.getLogger(__name__)

_CACHE: dict[tuple[str, tuple[tuple[str, str], ...]], ModelSet] = {}
_LOCK = threading.Lock()


@dataclass
class DocScores:
    """Model outputs for one document (max over its passages)."""

    initiative: float
    qpv: float
    types: dict[str, float]
    doc_kind: str
    best_passage: int
    # The doc-kind model's probability per kind (empty for a model without probabilities): the analysis
    # keeps them so the kind can be read again with the other pages of the site (`host_kinds`).
    doc_kind_scores: dict[str, float] = field(default_factory=dict)


class ModelSet:
    """One StoredModel per task (initiative, qpv, types, doc_kind; initiative_fast, initiative_whole)."""

    def __init__(self, models: dict[str, StoredModel]) -> None:
        self.models = models

    @property
    def version(self) -> str:
        """One version when every task shares it, else task:version pairs."""
        versions = {m.version for m in self.models.values()}
        if len(versions) == 1:
            return versions.pop()
        return ",".join(f"{t}:{m.version}" for t, m in sorted(self.models.items()))

    @property
    def needs_embeddings(self) -> bool:
        """True when a model was trained with sentence-embedding features."""
        return any(m.meta.get("config", {}).get("use_embeddings") for m in self.models.values())

    @property
    def reads_sentences(self) -> bool:
        """True when an initiative model reads each passage's sentence embeddings (`sentence_read`)."""
        return any(isinstance(m.estimator, SentenceReadClassifier) for m in self.models.values())

    @property
    def embed_chars(self) -> int:
        """How many leading characters of a passage the embedding model reads."""
        values = [m.meta.get("embed_chars") or 0 for m in self.models.values()]
        return max(values) if values else 0

    @property
    def embed_pieces(self) -> list[int] | None:
        """Sizes of the leading pieces embedded and averaged (None: models before that layout).

        The whole-text model's further pieces are embedded only for the texts it decides (`whole_text`).
        """
        values = [
            list(m.meta["embed_pieces"])
            for t, m in self.models.items()
            if m.meta.get("embed_pieces") and t != WHOLE_TEXT_TASK
        ]
        return max(values, key=sum) if values else None

    @property
    def whole_text(self) -> tuple[StoredModel, float] | None:
        """The whole-text initiative model and its band around the initiative threshold (None: before v10).

        The band lies around the threshold of the initiative model trained with it: when the initiative
        task points at another version (a rollback of that task alone), the stage is off.
        """
        model = self.models.get(WHOLE_TEXT_TASK)
        band = float(model.meta.get("cascade_band") or 0.0) if model is not None else 0.0
        if model is None or band <= 0 or not model.meta.get("embed_pieces"):
            return None
        if model.version != self.models["initiative"].version:
            return None
        return model, band

    def embed(self, texts: list[str], embedder: Any) -> Any:
        """The embedding features the promoted models were trained on, one row per text."""
        pieces = self.embed_pieces
        if pieces is None:
            return embedder.embed_passages([t[: self.embed_chars] for t in texts])
        return chunked_vectors(embedder.embed_passages, texts, pieces)

    def threshold(self, task: str) -> float:
        """The tuned decision threshold of a binary task."""
        return float(self.models[task].estimator.threshold_)

    @property
    def type_thresholds(self) -> dict[str, float]:
        """Per-type thresholds of the types model."""
        values = self.models["types"].estimator.thresholds_
        return dict(zip(INNOVATION_TYPES, map(float, values), strict=True))

    def score(
        self,
        docs: list[list[str]],
        titles: list[str | None],
        embedder: Any = None,
        urls: list[str | None] | None = None,
    ) -> list[DocScores]:
        """Scores of each document, given its passages (title and URL are read with the first passage)."""
        flat: list[str] = []
        owner: list[int] = []
        for i, (passages, title) in enumerate(zip(docs, titles, strict=True)):
            for j, passage in enumerate(passages):
                flat.append(f"{title}\n{passage}" if title and j == 0 else passage)
                owner.append(i)
        if not flat:
            return []
        batch = TextBatch(flat)
        init, qpv, types = self._passage_scores(batch, embedder)
        first = [owner.index(i) for i in range(len(docs))]
        kind_batch = batch.take(first)
        kind_batch.urls = urls
        kinds, kind_scores = self._kinds(kind_batch)
        out = []
        owner_arr = np.asarray(owner)
        for i in range(len(docs)):
            rows = np.flatnonzero(owner_arr == i)
            best = int(rows[np.argmax(init[rows])])
            out.append(
                DocScores(
                    initiative=float(init[best]),
                    qpv=float(qpv[rows].max()),
                    types={t: float(types[rows, k].max()) for k, t in enumerate(INNOVATION_TYPES)},
                    doc_kind=str(kinds[i]),
                    best_passage=int(best - rows[0]),
                    doc_kind_scores=kind_scores[i],
                )
            )
        return out

    def _kinds(self, batch: TextBatch) -> tuple[list[str], list[dict[str, float]]]:
        """The kind of each document and its probability per kind (argmax: the same kind as `predict`)."""
        estimator = self.models["doc_kind"].estimator
        if not hasattr(estimator, "predict_proba"):
            return [str(k) for k in estimator.predict(batch)], [{} for _ in range(len(batch))]
        proba = np.asarray(estimator.predict_proba(batch), dtype=float)
        classes = [str(c) for c in estimator.classes_]
        kinds = [classes[int(j)] for j in np.argmax(proba, axis=1)]
        return kinds, [{c: float(v) for c, v in zip(classes, row, strict=True)} for row in proba]

    def _passage_scores(self, batch: TextBatch, embedder: Any) -> tuple[Any, Any, Any]:
        """Initiative, in-QPV and type scores per passage.

        With embedding models, the TF-IDF first stage scores every passage and only those above its
        cascade cut are embedded and rescored; the others keep its score and get zero type scores.
        """
        fast = self.models.get("initiative_fast")
        if self.reads_sentences:
            batch.sentences = sentence_blocks(embedder.embed_passages, batch.texts)
        if not self.needs_embeddings or fast is None:
            if self.needs_embeddings:
                batch = TextBatch(batch.texts, self.embed(batch.texts, embedder), sentences=batch.sentences)
            return (
                self.models["initiative"].estimator.decision_scores(batch),
                self.models["qpv"].estimator.decision_scores(batch),
                self.models["types"].estimator.predict_proba(batch),
            )
        init = fast.estimator.decision_scores(batch)
        qpv = np.zeros(len(batch))
        types = np.zeros((len(batch), len(INNOVATION_TYPES)))
        chosen = np.flatnonzero(init >= float(fast.meta.get("cascade_low") or 0.0))
        if len(chosen):
            sub = batch.take(chosen)
            blocks = self._piece_blocks(sub.texts, embedder)
            sub.vectors = self.embed(sub.texts, embedder) if blocks is None else pooled_vectors(blocks)
            scores = self.models["initiative"].estimator.decision_scores(sub)
            init[chosen] = self._whole_text_scores(sub, scores, blocks, embedder)
            qpv[chosen] = self.models["qpv"].estimator.decision_scores(sub)
            types[chosen] = self.models["types"].estimator.predict_proba(sub)
        return init, qpv, types

    def _piece_blocks(self, texts: list[str], embedder: Any) -> list[Any] | None:
        """The piece embeddings of each text, kept when the whole-text stage may need them."""
        pieces = self.embed_pieces
        if self.whole_text is None or pieces is None:
            return None
        return piece_blocks(embedder.embed_passages, texts, pieces)

    def _whole_text_scores(self, sub: TextBatch, scores: Any, blocks: list[Any] | None, embedder: Any) -> Any:
        """The initiative scores, those within the band decided by the whole-text model (v10; else as is).

        Only the band's texts get their further pieces embedded; their first pieces are reused.
        """
        stage = self.whole_text
        if stage is None or blocks is None:
            return scores
        model, band = stage
        sizes = [int(x) for x in model.meta["embed_pieces"]]
        known = self.embed_pieces or []
        reuse = sizes[: len(known)] == known

        def whole_batch(rows: Any) -> TextBatch:
            part = sub.take(rows)
            if not reuse:
                part.vectors = chunked_vectors(embedder.embed_passages, part.texts, sizes)
                return part
            extra = [chunk_texts(t, sizes)[len(blocks[r]) :] for t, r in zip(part.texts, rows, strict=True)]
            flat = [p for ps in extra for p in ps]
            vecs = np.asarray(embedder.embed_passages(flat), dtype=np.float32) if flat else None
            whole, at = [], 0
            for r, ps in zip(rows, extra, strict=True):
                whole.append(
                    np.vstack([blocks[r], vecs[at : at + len(ps)]]) if ps and vecs is not None else blocks[r]
                )
                at += len(ps)
            part.vectors = pooled_vectors(whole)
            return part

        rescored, _ = rescore_band(scores, self.threshold("initiative"), model.estimator, band, whole_batch)
        return rescored

    def sentence_scores(self, sentences: list[str]) -> list[float] | None:
        """Initiative probability per sentence from a TF-IDF-only model (None when there is none)."""
        model = self.models.get("initiative_fast") or self.models["initiative"]
        if not sentences or model.meta.get("config", {}).get("use_embeddings") and model.task == "initiative":
            return None
        if isinstance(model.estimator, SentenceReadClassifier):
            return None  # it reads sentence embeddings too: the evidence is ranked on cue words alone

        return [float(s) for s in model.estimator.decision_scores(sentences)]


def load_version(model_dir: Path, version: str) -> ModelSet:
    """Every task's model of one version in `model_dir`, promoted or not (optional tasks when present)."""
    tasks = list(TASKS) + [t for t in OPTIONAL_TASKS if (model_dir / t / version / "model.joblib").exists()]
    return ModelSet({task: load_model(model_dir, task, version) for task in tasks})


def load_models(model_dir: Path) -> ModelSet:
    """The promoted models of `model_dir`, cached per folder and CURRENT pointer."""
    current = read_current(model_dir)
    key = (str(model_dir.resolve()), tuple(sorted(current.items())))
    with _LOCK:
        if key not in _CACHE:
            tasks = list(TASKS) + [t for t in OPTIONAL_TASKS if t in current]
            _CACHE[key] = ModelSet({task: load_model(model_dir, task) for task in tasks})
            log.info("models loaded dir=%s version=%s", model_dir, _CACHE[key].version)
        return _CACHE[key]
