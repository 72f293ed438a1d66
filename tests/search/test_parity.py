"""Both backends rank alike: French analysis, fusion and collapsing are ours, shared by both."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.domain import SearchQuery
from search_api.engines.base import IndexDocument, SearchEngine
from search_api.engines.ranking import RankingConfig

QUERIES = ["fablab jeunes", "quartier", "économie sociale", "mobilité emploi", "santé prévention gratuite"]


@pytest.mark.elasticsearch
def test_embedded_and_elasticsearch_give_the_same_ranking(
    make_backend: Callable[[str], SearchEngine], corpus: list[IndexDocument]
) -> None:
    engines = [make_backend(b) for b in ("embedded", "elasticsearch")]
    for engine in engines:
        engine.index_documents(corpus)
    for text in QUERIES:
        for mode in ("keyword", "semantic", "hybrid"):
            query = SearchQuery(text=text, mode=mode, size=10, collapse_duplicates=False)  # type: ignore[arg-type]
            rankings = [[h.id for h in e.search(query).hits] for e in engines]
            assert rankings[0] == rankings[1], (text, mode)
    for engine in engines:  # score-based fusion too: min-max removes each backend's BM25 scale
        engine.ranking = RankingConfig(fusion="convex")  # type: ignore[attr-defined]
    for text in QUERIES:
        query = SearchQuery(text=text, mode="hybrid", size=10, collapse_duplicates=False)
        rankings = [[h.id for h in e.search(query).hits] for e in engines]
        assert rankings[0] == rankings[1], (text, "convex")
