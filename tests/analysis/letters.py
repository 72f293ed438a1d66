"""A deterministic stand-in for the e5 model (a third-party model) in the classifier tests."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


class LetterEmbedder:
    """L2-normalised letter counts; records what it embeds (``calls``)."""

    name = "letters"
    dim = 26

    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed_passages(self, texts: list[str]) -> npt.NDArray[np.float32]:
        self.calls += list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for ch in text.lower():
                if "a" <= ch <= "z":
                    out[i, ord(ch) - 97] += 1
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
