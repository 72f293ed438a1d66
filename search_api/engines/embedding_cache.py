"""An embedder wrapper that caches passage vectors by content hash in SQLite under the data directory.

Re-indexing unchanged texts then costs a lookup, not a model call. Keys include the model name,
so changing the model never serves stale vectors.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from core.errors import StorageError
from core.protocols import Embedder

log = logging.getLogger(__name__)
# e5 reads 512 tokens at most; passages are cut here so the cache key matches what was embedded.
PASSAGE_CHARS = 1500
QUERY_CACHE_SIZE = 1024


def passage_text(title: str | None, text: str) -> str:
    """The text embedded for a document: its title, then the start of its body."""
    head = f"{title.strip()}. " if title and title.strip() else ""
    return (head + (text or "")).strip()[:PASSAGE_CHARS] or " "


class CachedEmbedder:
    """Wraps an `Embedder`; `embed_passages` reads and fills a SQLite cache keyed by SHA-256."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.path = path
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._queries: dict[str, npt.NDArray[np.float32]] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        except sqlite3.Error as exc:
            raise StorageError(
                f"cannot open the embedding cache {path}: {exc}", hint="check VIGIE_DATA_DIR is writable"
            ) from exc

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\x00{text}".encode()).hexdigest()

    def embed_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors for passages, computing only the ones not cached yet."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        found: dict[str, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._conn.execute(f"SELECT key, vec FROM vectors WHERE key IN ({marks})", chunk)
                found.update(dict(rows.fetchall()))
        missing = [i for i, k in enumerate(keys) if k not in found]
        for i, key in enumerate(keys):
            if key in found:
                out[i] = np.frombuffer(found[key], dtype=np.float32)
        if missing:
            vectors = self.inner.embed_passages([texts[i] for i in missing])
            out[missing] = vectors
            with self._lock, self._conn:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)",
                    [(keys[i], vectors[j].astype(np.float32).tobytes()) for j, i in enumerate(missing)],
                )
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        log.debug("embedding cache hits=%d misses=%d", len(texts) - len(missing), len(missing))
        return out

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """Query vectors are kept in a small in-memory LRU (pagination repeats the same query)."""
        with self._lock:
            cached = self._queries.pop(text, None)
            if cached is not None:
                self._queries[text] = cached
                return cached
        vector = self.inner.embed_query(text)
        with self._lock:
            self._queries[text] = vector
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.pop(next(iter(self._queries)))
        return vector

    def close(self) -> None:
        """Close the SQLite connection."""
        self._conn.close()
