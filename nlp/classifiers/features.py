"""Features of a text: word and character TF-IDF, optionally joined with sentence embeddings."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from core.errors import ModelError
from core.stopwords import TFIDF_STOP_WORDS

# TF-IDF reads the start of very long passages only: the classifiers were trained on excerpts.
FEATURE_CHARS = 12000

FRENCH_STOPWORDS = list(TFIDF_STOP_WORDS)  # the one French stop-word module, core.stopwords


@dataclass
class TextBatch:
    """Texts with, when the model uses them, their sentence embeddings (one row per text).

    ``sentences``: the embeddings of each text's sentences, one block per text, for the models that read
    them (`nlp.classifiers.sentence_read`); ``groups``: the texts' training groups (site and initiative
    name), which that reader's inner folds keep together.
    """

    texts: list[str]
    vectors: npt.NDArray[np.float32] | None = None
    urls: list[str | None] | None = None
    sentences: list[npt.NDArray[np.float32]] | None = None
    groups: list[str] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, indices: Sequence[int] | npt.NDArray[np.intp]) -> TextBatch:
        """The sub-batch at `indices` (for cross-validation folds)."""
        idx = list(map(int, indices))
        vectors = None if self.vectors is None else self.vectors[idx]
        urls = None if self.urls is None else [self.urls[i] for i in idx]
        sentences = None if self.sentences is None else [self.sentences[i] for i in idx]
        groups = None if self.groups is None else [self.groups[i] for i in idx]
        return TextBatch([self.texts[i] for i in idx], vectors, urls, sentences, groups)


def chunk_texts(text: str, sizes: Sequence[int]) -> list[str]:
    """Consecutive pieces of ``sizes`` characters from the start of a text (the first one always)."""
    pieces, start = [], 0
    for size in sizes:
        if start and start >= len(text):
            break
        pieces.append(text[start : start + size])
        start += size
    return pieces


def piece_blocks(
    embed: Callable[[list[str]], npt.NDArray[np.float32]], texts: Sequence[str], sizes: Sequence[int]
) -> list[npt.NDArray[np.float32]]:
    """The embeddings of each text's consecutive pieces of ``sizes`` characters, one block per text."""
    pieces = [chunk_texts(t, sizes) for t in texts]
    flat = [p for ps in pieces for p in ps]
    vecs = np.asarray(embed(flat), dtype=np.float32) if flat else np.zeros((0, 1), dtype=np.float32)
    blocks, row = [], 0
    for ps in pieces:
        blocks.append(vecs[row : row + len(ps)])
        row += len(ps)
    return blocks


def pooled_vectors(blocks: Sequence[npt.NDArray[np.float32]]) -> npt.NDArray[np.float32]:
    """``[head | mean]`` of each block of piece embeddings (`chunked_vectors`' layout)."""
    dim = next((b.shape[1] for b in blocks if len(b)), 1)
    out = np.zeros((len(blocks), 2 * dim), dtype=np.float32)
    for i, block in enumerate(blocks):
        mean = block.mean(axis=0)
        out[i, :dim] = block[0]
        out[i, dim:] = mean / max(float(np.linalg.norm(mean)), 1e-9)
    return out


def chunked_vectors(
    embed: Callable[[list[str]], npt.NDArray[np.float32]], texts: Sequence[str], sizes: Sequence[int]
) -> npt.NDArray[np.float32]:
    """Embedding features of each text: ``[head | mean]`` side by side (2 x the embedder's width).

    ``head`` embeds the first piece (``sizes[0]`` characters); ``mean`` is the L2-normalised mean of
    the embeddings of the consecutive pieces of ``sizes`` characters (further reach for the cost of
    the extra pieces; docs/models.md). A text with one piece has two equal halves.
    """
    return pooled_vectors(piece_blocks(embed, texts, sizes))


def embedding_view(vectors: npt.NDArray[np.float32], view: str | None) -> npt.NDArray[np.float32]:
    """The ``head`` or ``mean`` half of `chunked_vectors` output; every column when ``view`` is None."""
    if view is None:
        return vectors
    half = vectors.shape[1] // 2
    if view == "head":
        return vectors[:, :half]
    if view == "mean":
        return vectors[:, half:]
    raise ModelError(f"unknown embedding view {view!r}", hint="use 'head', 'mean' or None")


def url_tokens(url: str | None) -> str:
    """Words of a URL's host and first path segments, prefixed so they never collide with text words."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    words = re.split(r"[.\-]", host) + re.split(r"[/\-_.]", parts.path.lower())[:6]
    return " ".join(f"urlw{w}" for w in words if w.isalpha() and len(w) > 1)


def as_batch(X: Any) -> TextBatch:
    """Accept a TextBatch or any sequence of strings."""
    if isinstance(X, TextBatch):
        return X
    if isinstance(X, str):
        raise ModelError("expected a sequence of texts, got one string", hint="wrap it in a list")
    return TextBatch([str(t) for t in X])


class TextFeaturizer(BaseEstimator, TransformerMixin):  # type: ignore[misc]  # sklearn is untyped
    """Word 1-2 grams and character 3-5 grams TF-IDF, plus scaled embeddings when asked.

    ``sublinear_tf`` (default) weighs a word by 1 + log(count); False keeps the raw count, which the
    types model reads better (a type's vocabulary repeats through the text; docs/models.md).
    ``binary_tf`` counts a word once however often it occurs (presence times IDF): the initiative
    detector reads it better since v8, a page's repeated topic words say little about whether it
    describes a project (docs/models.md).
    """

    def __init__(
        self,
        char_ngrams: bool = True,
        use_embeddings: bool = False,
        embedding_weight: float = 1.0,
        max_features: int = 60000,
        use_urls: bool = False,
        embedding_view: str | None = None,
        sublinear_tf: bool = True,
        binary_tf: bool = False,
    ) -> None:
        self.char_ngrams = char_ngrams
        self.sublinear_tf = sublinear_tf
        self.binary_tf = binary_tf
        self.embedding_view = embedding_view
        self.use_embeddings = use_embeddings
        self.use_urls = use_urls
        self.embedding_weight = embedding_weight
        self.max_features = max_features

    def _texts(self, batch: TextBatch) -> list[str]:
        texts = [t[:FEATURE_CHARS] for t in batch.texts]
        if getattr(self, "use_urls", False) and batch.urls is not None:
            texts = [f"{url_tokens(u)} {t}" for u, t in zip(batch.urls, texts, strict=True)]
        return texts

    def fit(self, X: Any, y: Any = None) -> TextFeaturizer:
        """Learn the vocabularies."""
        texts = self._texts(as_batch(X))
        self.word_ = TfidfVectorizer(
            lowercase=True,
            ngram_range=(1, 2),
            min_df=2,
            max_df=0.9,
            sublinear_tf=getattr(self, "sublinear_tf", True),  # getattr: featurizers pickled before it
            binary=getattr(self, "binary_tf", False),
            stop_words=FRENCH_STOPWORDS,
            max_features=self.max_features,
            strip_accents=None,
        ).fit(texts)
        self.char_ = None
        if self.char_ngrams:
            self.char_ = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(3, 5),
                min_df=2,
                sublinear_tf=True,
                max_features=self.max_features,
            ).fit(texts)
        return self

    def transform(self, X: Any) -> sparse.csr_matrix:
        """Sparse feature matrix, one row per text."""
        batch = as_batch(X)
        texts = self._texts(batch)
        blocks = [self.word_.transform(texts)]
        if self.char_ is not None:
            blocks.append(self.char_.transform(texts))
        if self.use_embeddings:
            if batch.vectors is None:
                raise ModelError(
                    "this model needs sentence embeddings but none were given",
                    hint="pass a TextBatch with vectors (the analyzer does it when an embedder is wired)",
                )
            # Models saved before the [head | mean] layout read every column (getattr: older pickles).
            view = getattr(self, "embedding_view", None)
            blocks.append(sparse.csr_matrix(embedding_view(batch.vectors, view) * self.embedding_weight))
        return sparse.hstack(blocks, format="csr")
