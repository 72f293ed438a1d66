"""Seams between our packages, as Protocols the composition root (`vigie`) wires together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised sentence vectors."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors for documents or passages, shape (len(texts), dim)."""
        ...

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """Vector for a search query, shape (dim,)."""
        ...
