"""Features of a text: word and character TF-IDF, optionally joined with sentence embeddings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer

from core.errors import ModelError

# TF-IDF reads the start of very long passages only: the classifiers were trained on excerpts.
FEATURE_CHARS = 12000

FRENCH_STOPWORDS = [
    "le",
    "la",
    "les",
    "l",
    "un",
    "une",
    "des",
    "du",
    "de",
    "d",
    "et",
    "à",
    "au",
    "aux",
    "en",
    "dans",
    "par",
    "pour",
    "sur",
    "avec",
    "ce",
    "cette",
    "ces",
    "qui",
    "que",
    "qu",
    "se",
    "sa",
    "son",
    "ses",
    "leur",
    "leurs",
    "il",
    "elle",
    "ils",
    "elles",
    "on",
    "nous",
    "vous",
    "est",
    "sont",
    "a",
    "ont",
    "été",
    "être",
    "ne",
    "pas",
    "plus",
]


@dataclass
class TextBatch:
    """Texts with, when the model uses them, their sentence embeddings (one row per text)."""

    texts: list[str]
    vectors: npt.NDArray[np.float32] | None = None
    urls: list[str | None] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, indices: Sequence[int] | npt.NDArray[np.intp]) -> TextBatch:
        """The sub-batch at `indices` (for cross-validation folds)."""
        idx = list(map(int, indices))
        vectors = None if self.vectors is None else self.vectors[idx]
        urls = None if self.urls is None else [self.urls[i] for i in idx]
        return TextBatch([self.texts[i] for i in idx], vectors, urls)


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
    """Word 1-2 grams and character 3-5 grams TF-IDF, plus scaled embeddings when asked."""

    def __init__(
        self,
        char_ngrams: bool = True,
        use_embeddings: bool = False,
        embedding_weight: float = 1.0,
        max_features: int = 60000,
        use_urls: bool = False,
    ) -> None:
        self.char_ngrams = char_ngrams
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
            sublinear_tf=True,
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
            blocks.append(sparse.csr_matrix(batch.vectors * self.embedding_weight))
        return sparse.hstack(blocks, format="csr")
