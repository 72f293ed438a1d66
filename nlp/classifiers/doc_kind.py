"""The document-kind model: who publishes the page (press, association, call, laureates, institution...).

A page's kind is mostly a property of its site, and cross-validation never shows a site twice, so the
model reads what generalises across sites: character n-grams of the URL's host and path (``ville-``,
``gouv``, ``asso``, ``actu``, ``appel-a-projets``), the text's words, and (optionally) the text's e5
embedding. Measured on real texts in docs/models.md.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from nlp.classifiers.features import TextBatch, TextFeaturizer, as_batch, embedding_view

FloatArray = npt.NDArray[np.float64]


def url_text(url: str | None) -> str:
    """The URL's host (without ``www.``) and path as lower-case words, for character n-grams."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = re.sub(r"\d+", "0", parts.path.lower())
    return " ".join(w for w in re.split(r"[/.\-_?=&]+", f"{host} {path}") if w)


class DocKindModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]  # sklearn is untyped
    """Multinomial logistic regression over URL character n-grams, text words and (optionally) e5.

    ``url_weight`` scales the URL block (0: no URL features); ``embedding_view`` picks the half of the
    batch's [head | mean] vectors read when ``use_embeddings``.
    """

    def __init__(
        self,
        C: float = 8.0,
        url_weight: float = 1.0,
        use_embeddings: bool = False,
        embedding_view: str | None = "head",
        embedding_weight: float = 1.0,
        char_ngrams: bool = False,
    ) -> None:
        self.C = C
        self.url_weight = url_weight
        self.use_embeddings = use_embeddings
        self.embedding_view = embedding_view
        self.embedding_weight = embedding_weight
        self.char_ngrams = char_ngrams

    def _urls(self, batch: TextBatch) -> list[str]:
        return [url_text(u) for u in (batch.urls or [None] * len(batch))]

    def _features(self, batch: TextBatch) -> Any:
        blocks = [self.text_.transform(TextBatch(batch.texts))]
        if self.url_ is not None:
            blocks.append(self.url_.transform(self._urls(batch)) * self.url_weight)
        if self.use_embeddings:
            vectors = TextFeaturizer(use_embeddings=True)  # reuses its missing-vectors error
            if batch.vectors is None:
                vectors.transform(batch)
            view = embedding_view(batch.vectors, self.embedding_view)  # type: ignore[arg-type]  # checked above
            blocks.append(sparse.csr_matrix(view * self.embedding_weight))
        return sparse.hstack(blocks, format="csr")

    def fit(self, X: Any, y: Any) -> DocKindModel:
        """Fit the vocabularies and the model."""
        batch = as_batch(X)
        self.text_ = TextFeaturizer(self.char_ngrams, use_embeddings=False).fit(TextBatch(batch.texts))
        self.url_ = None
        if self.url_weight > 0:
            self.url_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True)
            self.url_.fit([u or " " for u in self._urls(batch)])
        self.model_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        self.model_.fit(self._features(batch), np.asarray(y))
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X: Any) -> FloatArray:
        """Probability per kind, columns in `classes_` order."""
        proba: FloatArray = self.model_.predict_proba(self._features(as_batch(X)))
        return proba

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """The most probable kind per text."""
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])
