"""Parity-test helpers: both backends set up for query understanding; one hybrid query compared."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from core.domain import SearchQuery
from search_api.engines.base import IndexDocument, SearchEngine
from search_api.engines.ranking import RankingConfig
from search_api.engines.signals import SIGNAL_FEATURES
from vigie.query_places import GeoQueryLinker


def understanding_backends(
    make_backend: Callable[[str], SearchEngine], docs: list[IndexDocument], place_linker: GeoQueryLinker
) -> list[SearchEngine]:
    """The embedded engine and Elasticsearch over ``docs``, with the place linker and every signal at 0.3."""
    engines = [make_backend(b) for b in ("embedded", "elasticsearch")]
    for engine in engines:
        engine.index_documents(docs)
        engine.place_linker = place_linker  # type: ignore[attr-defined]
        engine.ranking = RankingConfig(signal_weights=dict.fromkeys(SIGNAL_FEATURES, 0.3))  # type: ignore[attr-defined]
    return engines


def same_hybrid_hits(engines: Sequence[SearchEngine], text: str) -> list[Any]:
    """The hybrid hits of ``text``, asserted alike on both engines (ids, why, scores); the first engine's."""
    query = SearchQuery(text=text, mode="hybrid", size=10, collapse_duplicates=False)
    results = [e.search(query).hits for e in engines]
    assert [h.id for h in results[0]] == [h.id for h in results[1]], text
    assert [h.why for h in results[0]] == [h.why for h in results[1]], text
    assert [h.score for h in results[0]] == pytest.approx([h.score for h in results[1]], abs=1e-4), text
    return list(results[0])
