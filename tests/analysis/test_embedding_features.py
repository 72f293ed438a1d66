"""Embedding features of the classifiers: [head | mean] of the first pieces of a text, per-task views."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.domain import INNOVATION_TYPES
from core.errors import ModelError
from nlp.classifiers.examples import TrainingExample
from nlp.classifiers.features import TextBatch, TextFeaturizer, chunk_texts, chunked_vectors, embedding_view
from nlp.classifiers.models import ModelSet, load_models
from nlp.classifiers.training import EMBEDDING_VIEWS, TrainConfig, train_all
from tests.analysis.letters import LetterEmbedder


def test_chunks_cover_the_first_pieces_only() -> None:
    assert chunk_texts("abcdefghij", [4, 3]) == ["abcd", "efg"]
    assert chunk_texts("abc", [4, 4, 4]) == ["abc"]
    assert chunk_texts("abcde", [4, 4, 4]) == ["abcd", "e"]
    assert chunk_texts("", [4, 2]) == [""]


def test_chunked_vectors_put_the_head_then_the_normalised_mean() -> None:
    embedder = LetterEmbedder()
    vectors = chunked_vectors(embedder.embed_passages, ["aaaa" + "bbbb" + "cccc", "dd"], [4, 4])
    assert vectors.shape == (2, 52)
    head, mean = embedding_view(vectors, "head"), embedding_view(vectors, "mean")
    assert head[0].argmax() == 0 and np.isclose(head[0, 0], 1.0)
    assert np.allclose(mean[0, :2], [2**-0.5, 2**-0.5]) and mean[0, 2] == 0  # "cccc" is the third piece
    assert np.allclose(head[1], mean[1])  # a short text has one piece: both halves agree
    assert embedder.calls == ["aaaa", "bbbb", "dd"]
    with pytest.raises(ModelError, match="view"):
        embedding_view(vectors, "tail")


def test_featurizer_reads_its_view_of_the_vectors() -> None:
    texts = ["le projet solidaire du quartier", "le conseil municipal vote le budget"] * 2
    vectors = np.hstack([np.ones((4, 3)), np.full((4, 3), 2.0)]).astype(np.float32)
    for view, value in (("head", 1.0), ("mean", 2.0)):
        featurizer = TextFeaturizer(char_ngrams=False, use_embeddings=True, embedding_view=view)
        F = featurizer.fit(TextBatch(texts, vectors)).transform(TextBatch(texts, vectors)).toarray()
        assert np.allclose(F[:, -3:], value)
    legacy = TextFeaturizer(char_ngrams=False, use_embeddings=True).fit(TextBatch(texts, vectors))
    assert legacy.transform(TextBatch(texts, vectors)).shape[1] == F.shape[1] + 3


def test_models_trained_with_chunks_embed_the_same_pieces_when_scoring(
    tmp_path: Path, small_examples: list[TrainingExample]
) -> None:
    embedder = LetterEmbedder()
    config = TrainConfig(char_ngrams=False, use_embeddings=True, embed_pieces=(500, 400))
    train_all(
        small_examples, tmp_path, config=config, embed=embedder.embed_passages, version="vemb",
        run_cv=False, make_current=True,
    )  # fmt: skip
    models: ModelSet = load_models(tmp_path)
    assert models.embed_pieces == [500, 400] and models.needs_embeddings
    for task, view in EMBEDDING_VIEWS.items():
        assert models.models[task].meta["embedding_view"] == view
        assert models.models[task].estimator.featurizer_.embedding_view == view
    long_texts = [e.text for e in small_examples if e.is_initiative and len(e.text) > 1000][:10]
    embedder.calls.clear()
    assert models.embed(long_texts[:1], embedder).shape == (1, 52)
    assert embedder.calls == chunk_texts(long_texts[0], [500, 400]) and len(embedder.calls) == 2
    assert len(embedder.calls[1]) == 400
    embedder.calls.clear()
    scores = models.score([[t] for t in long_texts], [None] * len(long_texts), embedder)
    pieces = {p for t in long_texts for p in chunk_texts(t, [500, 400])}
    assert embedder.calls and set(embedder.calls) <= pieces and len(embedder.calls) % 2 == 0
    assert all(set(s.types) == set(INNOVATION_TYPES) for s in scores)
