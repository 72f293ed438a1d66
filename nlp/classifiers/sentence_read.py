"""A sentence-by-sentence reading of a text for the initiative models (issue 15, ninth round, fp9)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from core.errors import ModelError
from nlp.classifiers.estimators import BinaryTextClassifier
from nlp.classifiers.features import TextBatch

# A sentence ends at . ! ? followed by a space, or at a line break; shorter pieces (titles, bylines,
# menu items) are left out, and a text reads at most its first MAX_SENTENCES sentences.
SENTENCE_MIN_CHARS = 40
MAX_SENTENCES = 40
# A text without such a sentence reads its first characters as one sentence.
FALLBACK_CHARS = 500
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
N_COLUMNS = 3

Blocks = Sequence[npt.NDArray[np.float32]]


def split_sentences(text: str) -> list[str]:
    """The text's sentences longer than SENTENCE_MIN_CHARS (the first MAX_SENTENCES), never none."""
    found = [s for s in _SPLIT.split(text) if len(s) > SENTENCE_MIN_CHARS][:MAX_SENTENCES]
    return found or [text[:FALLBACK_CHARS]]


def sentence_blocks(
    embed: Callable[[list[str]], npt.NDArray[np.float32]], texts: Sequence[str]
) -> list[npt.NDArray[np.float32]]:
    """The embeddings of each text's sentences (`split_sentences`), one block per text."""
    sentences = [split_sentences(t) for t in texts]
    flat = [s for ss in sentences for s in ss]
    vecs = np.asarray(embed(flat), dtype=np.float32) if flat else np.zeros((0, 1), dtype=np.float32)
    bounds = np.cumsum([0] + [len(ss) for ss in sentences])
    return [vecs[bounds[i] : bounds[i + 1]] for i in range(len(texts))]


class SentenceReader:
    """Logistic regression on sentence embeddings; a text's columns: best, mean of best three, mean."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, blocks: Blocks, y: npt.ArrayLike) -> SentenceReader:
        """Every sentence takes its text's label; each text weighs one in all."""
        y_arr = np.asarray(y).astype(int)
        sizes = np.array([len(b) for b in blocks])
        if len(set(y_arr.tolist())) < 2 or (sizes == 0).any():
            raise ModelError(
                "the sentence reader needs both classes and at least one sentence per text",
                hint="give every text its sentence embeddings (sentence_blocks)",
            )
        X = np.vstack(blocks)
        labels = np.repeat(y_arr, sizes)
        self.model_ = LogisticRegression(C=self.C, max_iter=2000).fit(
            X, labels, sample_weight=np.repeat(1.0 / sizes, sizes)
        )
        return self

    def columns(self, blocks: Blocks) -> npt.NDArray[np.float64]:
        """(n texts, 3): the best sentence's probability, the mean of the best three, the mean."""
        out = np.zeros((len(blocks), N_COLUMNS))
        if not len(blocks):
            return out
        probs = self.model_.predict_proba(np.vstack(blocks))[:, 1]
        at = 0
        for i, block in enumerate(blocks):
            p = np.sort(probs[at : at + len(block)])[::-1]
            at += len(block)
            out[i] = p[0], p[:3].mean(), p.mean()
        return out


def nested_columns(
    blocks: Blocks, y: npt.ArrayLike, groups: Sequence[str] | None, folds: int, seed: int, C: float
) -> npt.NDArray[np.float64]:
    """The training texts' columns out of fold: grouped stratified folds when groups are given."""
    y_arr = np.asarray(y).astype(int)
    n_splits = min(folds, int(y_arr.sum()), int(len(y_arr) - y_arr.sum()))
    if n_splits < 2:
        raise ModelError("too few examples of a class for the sentence reader's inner folds")
    X = np.zeros((len(y_arr), 1))
    if groups is not None and len(set(groups)) >= n_splits:
        splits = StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed).split(X, y_arr, list(groups))
    else:
        splits = StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(X, y_arr)
    out = np.zeros((len(y_arr), N_COLUMNS))
    for train, test in splits:
        reader = SentenceReader(C).fit([blocks[i] for i in train], y_arr[train])
        out[test] = reader.columns([blocks[i] for i in test])
    return out


def _blocks(batch: TextBatch) -> Blocks:
    if batch.sentences is None:
        raise ModelError(
            "this initiative model reads sentence embeddings but none were given",
            hint="pass a TextBatch with sentences (sentence_blocks; the analyzer embeds them)",
        )
    return batch.sentences


class SentenceReadClassifier(BinaryTextClassifier):
    """`BinaryTextClassifier` whose features also hold the sentence reader's three columns times
    ``sentence_weight``.

    The training texts' columns are out of fold over ``sentence_folds`` grouped inner folds (a reader
    fitted on a text never gives that text's columns), so the model learns how far to trust them on
    unseen sites; the reader fitted on every training text gives the columns at prediction time.
    Measured in docs/models.md ("Issue 15, ninth round (7 Dec): what the text says").
    """

    def __init__(
        self,
        C: float = 8.0,
        char_ngrams: bool = True,
        use_embeddings: bool = False,
        tune_threshold: bool = True,
        random_state: int = 0,
        embedding_view: str | None = None,
        binary_tf: bool = False,
        sentence_weight: float = 1.0,
        sentence_C: float = 1.0,
        sentence_folds: int = 5,
    ) -> None:
        super().__init__(
            C, char_ngrams, use_embeddings, tune_threshold, random_state, embedding_view, binary_tf
        )
        self.sentence_weight = sentence_weight
        self.sentence_C = sentence_C
        self.sentence_folds = sentence_folds

    def _fit_features(self, batch: TextBatch, y: npt.NDArray[np.int_]) -> Any:
        blocks = _blocks(batch)
        inner = nested_columns(
            blocks, y, batch.groups, self.sentence_folds, self.random_state, self.sentence_C
        )
        self.reader_ = SentenceReader(self.sentence_C).fit(blocks, y)
        return self._join(super()._fit_features(batch, y), inner)

    def _features(self, batch: TextBatch) -> Any:
        return self._join(super()._features(batch), self.reader_.columns(_blocks(batch)))

    def _join(self, F: Any, columns: npt.NDArray[np.float64]) -> Any:
        return sparse.hstack([F, sparse.csr_matrix(columns * self.sentence_weight)], format="csr")
