"""Both backends rank alike: French analysis, fusion and collapsing are ours, shared by both."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.domain import SearchQuery
from search_api.engines.base import Filters, IndexDocument, SearchEngine
from search_api.engines.french import analyze
from search_api.engines.ranking import RankingConfig
from search_api.engines.thesaurus import load_thesaurus
from tests.search.parity import same_hybrid_hits, understanding_backends
from vigie.query_places import GeoQueryLinker

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


UNDERSTOOD = [
    "initiatives solidaires à Toulouse",
    "projets pour les jeunes dans les quartiers de Marseille",
    "appels à projets dans les quartiers prioritaires",
    "applications numériques dans les cités",
    "apprendre avec des animateurs",  # asks no signal: reranked by the initiative prior alone
]


@pytest.mark.elasticsearch
def test_query_understanding_ranks_alike_on_both_backends(
    make_backend: Callable[[str], SearchEngine],
    corpus: list[IndexDocument],
    place_linker: GeoQueryLinker,
) -> None:
    """Places, intents, feedback and analysis signals are ours: both backends give the same hits and why."""
    engines = understanding_backends(make_backend, corpus, place_linker)
    for text in UNDERSTOOD:
        same_hybrid_hits(engines, text)


@pytest.mark.elasticsearch
def test_keyword_feedback_expands_alike_on_both_backends(
    make_backend: Callable[[str], SearchEngine], corpus: list[IndexDocument]
) -> None:
    """Keyword-side feedback (expansion terms of the first documents) is ours: same hits on both backends."""
    engines = [make_backend(b) for b in ("embedded", "elasticsearch")]
    for engine in engines:
        engine.index_documents(corpus)
    moved = 0
    for text in QUERIES + UNDERSTOOD:
        query = SearchQuery(text=text, mode="hybrid", size=10, collapse_duplicates=False)
        plain, expanded = [], []
        for engine in engines:
            engine.ranking = RankingConfig(keyword_prf_docs=0)  # type: ignore[attr-defined]
            plain.append([(h.id, h.score) for h in engine.search(query).hits])
            engine.ranking = RankingConfig(keyword_prf_docs=3, keyword_prf_weight=1.0)  # type: ignore[attr-defined]
            expanded.append([(h.id, h.score) for h in engine.search(query).hits])
        for hits in (plain, expanded):
            assert [i for i, _ in hits[0]] == [i for i, _ in hits[1]], text
            assert [s for _, s in hits[0]] == pytest.approx([s for _, s in hits[1]], abs=1e-4), text
        moved += plain[0] != expanded[0]
    assert moved  # the expansion does change some rankings


@pytest.mark.elasticsearch
def test_thesaurus_bridges_alike_on_both_backends(
    make_backend: Callable[[str], SearchEngine], corpus: list[IndexDocument]
) -> None:
    """Vocabulary bridging (concept terms of the thesaurus groups) is ours: same hits on both backends."""
    engines = [make_backend(b) for b in ("embedded", "elasticsearch")]
    for engine in engines:
        engine.index_documents(corpus)
    # « potagers » is not in the garden page: its concept term (« jardins partagés ») is, on both backends.
    concept = load_thesaurus().query_concepts(analyze("potagers collectifs"))
    for engine in engines:
        assert "jard1" not in [c.id for c in engine._keyword(analyze("potagers"), Filters(), 10)[0]]  # type: ignore[attr-defined]
        assert [c.id for c in engine._keyword(concept, Filters(), 10)[0]] == ["jard1"]  # type: ignore[attr-defined]
    moved = 0
    for text in [*QUERIES, *UNDERSTOOD, "potagers collectifs", "seniors isolés", "lieux de réemploi"]:
        query = SearchQuery(text=text, mode="hybrid", size=10, collapse_duplicates=False)
        plain, bridged = [], []
        for engine in engines:
            engine.ranking = RankingConfig(thesaurus_weight=0.0)  # type: ignore[attr-defined]
            plain.append([(h.id, h.score) for h in engine.search(query).hits])
            engine.ranking = RankingConfig(thesaurus_weight=1.0)  # type: ignore[attr-defined]
            bridged.append([(h.id, h.score) for h in engine.search(query).hits])
        for hits in (plain, bridged):
            assert [i for i, _ in hits[0]] == [i for i, _ in hits[1]], text
            assert [s for _, s in hits[0]] == pytest.approx([s for _, s in hits[1]], abs=1e-4), text
        moved += plain[0] != bridged[0]
    assert moved  # bridging does change some rankings
