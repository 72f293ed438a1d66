"""The document-kind model: who publishes the page (press, association, call, laureates, institution...).

A page's kind is mostly a property of its site, and cross-validation never shows a site twice, so the
model reads what generalises across sites: character n-grams of the URL's host and path (``ville-``,
``gouv``, ``asso``, ``actu``, ``appel-a-projets``), the text's words, (since the eighth round) cues of who
publishes the site (`nlp.classifiers.url_cues`: a town's own site, a blog, a mirror...), (since the second
pass) cues of who speaks in the text and in what genre (`nlp.classifiers.text_cues`: a call, a list of
winners, an institution, an association, press), and (optionally) the text's e5 embedding. Measured on real
texts in docs/models.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from core.errors import ModelError
from nlp.classifiers.features import TextBatch, TextFeaturizer, as_batch, embedding_view
from nlp.classifiers.text_cues import text_cue_matrix
from nlp.classifiers.url_cues import HostPlaces, load_host_places, url_cue_matrix

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
    """Multinomial logistic regression over URL character n-grams, text words, URL cues and (optionally) e5.

    ``url_weight`` scales the URL block (0: no URL features); ``url_cues`` scales the block of
    `url_cues.CUE_NAMES` flags (0: none, as up to v10), whose place names are read at fit time from
    ``reference_dir`` (default: the settings' reference folder) and kept in the fitted model;
    ``text_cues`` scales the block of `text_cues.CUE_NAMES` (0: none, as up to v11);
    ``embedding_view`` picks the half of the batch's [head | mean] vectors read when ``use_embeddings``.
    """

    def __init__(
        self,
        C: float = 8.0,
        url_weight: float = 1.0,
        use_embeddings: bool = False,
        embedding_view: str | None = "head",
        embedding_weight: float = 1.0,
        char_ngrams: bool = False,
        url_cues: float = 0.0,
        reference_dir: str | None = None,
        text_cues: float = 0.0,
    ) -> None:
        self.C = C
        self.url_weight = url_weight
        self.use_embeddings = use_embeddings
        self.embedding_view = embedding_view
        self.embedding_weight = embedding_weight
        self.char_ngrams = char_ngrams
        self.url_cues = url_cues
        self.reference_dir = reference_dir
        self.text_cues = text_cues

    def _urls(self, batch: TextBatch) -> list[str]:
        return [url_text(u) for u in (batch.urls or [None] * len(batch))]

    def _features(self, batch: TextBatch) -> Any:
        blocks = [self.text_.transform(TextBatch(batch.texts))]
        if self.url_ is not None:
            blocks.append(self.url_.transform(self._urls(batch)) * self.url_weight)
        places: HostPlaces | None = getattr(self, "places_", None)  # None: a model from before v11
        if places is not None:
            urls = batch.urls or [None] * len(batch)
            blocks.append(sparse.csr_matrix(url_cue_matrix(urls, places) * self.url_cues))
        text_weight = getattr(self, "text_cues", 0.0)  # absent from a model pickled before the second pass
        if text_weight:
            blocks.append(sparse.csr_matrix(text_cue_matrix(list(batch.texts)) * text_weight))
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
        self.places_ = self._host_places() if self.url_cues > 0 else None
        self.model_ = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        self.model_.fit(self._features(batch), np.asarray(y))
        self.classes_ = self.model_.classes_
        return self

    def _host_places(self) -> HostPlaces:
        if self.reference_dir is not None:
            folder: Path | None = Path(self.reference_dir)
        else:
            from core.settings import load_settings

            folder = load_settings().reference_dir  # scripts and tests; training passes its settings' folder
        if folder is None or not (folder / "communes.csv").is_file():
            raise ModelError(
                f"the document kind's URL cues need the reference data (communes.csv), not found in {folder}",
                hint="set VIGIE_REFERENCE_DIR (or `vigie reference fetch`), or train with url_cues=0",
            )
        return load_host_places(folder)

    def predict_proba(self, X: Any) -> FloatArray:
        """Probability per kind, columns in `classes_` order."""
        proba: FloatArray = self.model_.predict_proba(self._features(as_batch(X)))
        return proba

    def predict(self, X: Any) -> npt.NDArray[Any]:
        """The most probable kind per text."""
        return np.asarray(self.classes_[np.argmax(self.predict_proba(X), axis=1)])
