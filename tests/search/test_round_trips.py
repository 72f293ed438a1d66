"""Elasticsearch answers an understood query in few round trips, counted by a real proxy on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from core.domain import SearchQuery
from search_api.engines.base import IndexDocument, SearchEngine
from search_api.engines.elasticsearch import ElasticsearchEngine
from search_api.engines.embedding_cache import CachedEmbedder
from search_api.engines.ranking import RankingConfig
from search_api.engines.signals import SIGNAL_FEATURES
from tests.support.counting_proxy import counting_proxy
from vigie.query_places import GeoQueryLinker

UNDERSTOOD = [
    "initiatives solidaires à Toulouse",
    "projets pour les jeunes dans les quartiers de Marseille",
    "applications numériques dans les cités",
]
# The first lists, count and facets in one _msearch; the vectors of the 5 feedback documents; the feedback
# kNN (its candidates carry the signals reranking reads, as the first lists' do); the page of hits.
MAX_ROUND_TRIPS = 4


@pytest.mark.elasticsearch
def test_an_understood_query_takes_at_most_four_round_trips(
    es_url: str,
    embedder: CachedEmbedder,
    corpus: list[IndexDocument],
    place_linker: GeoQueryLinker,
    make_backend: Callable[[str], SearchEngine],
) -> None:
    """Keyword, kNN, count and facets in one request; the signals reranking reads come with the lists."""
    embedded = make_backend("embedded")
    embedded.index_documents(corpus)
    ranking = RankingConfig(signal_weights=dict.fromkeys(SIGNAL_FEATURES, 0.3))
    embedded.place_linker, embedded.ranking = place_linker, ranking  # type: ignore[attr-defined]
    with counting_proxy(es_url) as (url, log):
        engine = ElasticsearchEngine(
            url, alias=f"vigie-test-{uuid.uuid4().hex[:10]}", embedder=embedder,
            ranking=ranking, place_linker=place_linker,
        )  # fmt: skip
        try:
            engine.index_documents(corpus)
            for text in UNDERSTOOD:
                query = SearchQuery(
                    text=text, mode="hybrid", size=10, collapse_duplicates=False, facets=["doc_kind"]
                )
                log.requests.clear()
                result = engine.search(query)
                paths = log.paths()
                assert len(paths) <= MAX_ROUND_TRIPS, (text, paths)
                endpoints = [p.rsplit("/", 1)[-1] for p in paths]
                assert endpoints == ["_msearch", "_mget", "_search", "_mget"], text
                expected = embedded.search(query)
                assert [h.id for h in result.hits] == [h.id for h in expected.hits], text
                assert [h.why for h in result.hits] == [h.why for h in expected.hits], text
                assert (result.total, result.facets) == (expected.total, expected.facets), text
        finally:
            names = list(engine.client.indices.get(index=f"{engine.alias}-*", allow_no_indices=True).body)
            if names:
                engine.client.indices.delete(index=",".join(names))
            engine.close()


@pytest.mark.elasticsearch
def test_a_rebuild_can_merge_the_new_index_into_one_segment(
    es_url: str, embedder: CachedEmbedder, corpus: list[IndexDocument]
) -> None:
    """`force_merge=True`: one segment (one HNSW graph) serves, with the same hits as several segments."""
    engine = ElasticsearchEngine(es_url, alias=f"vigie-test-{uuid.uuid4().hex[:10]}", embedder=embedder)
    query = SearchQuery(text="fablab pour les jeunes", mode="hybrid", size=10, collapse_duplicates=False)

    def segments() -> set[str]:
        return {s["segment"] for s in engine.client.cat.segments(index=engine.alias, format="json").body}

    try:
        half = len(corpus) // 2
        engine.index_documents(corpus[:half])  # each call refreshes: a segment each
        engine.index_documents(corpus[half:])
        assert len(segments()) >= 2
        before = [(h.id, h.score) for h in engine.search(query).hits]
        engine._merge(engine.alias)  # what a rebuild with force_merge does before moving the alias
        assert len(segments()) == 1, segments()
        assert before != []
        assert_same_hits([(h.id, h.score) for h in engine.search(query).hits], before)
        engine.force_merge = True
        engine.rebuild(iter(corpus))
        assert len(segments()) == 1, segments()
        assert_same_hits([(h.id, h.score) for h in engine.search(query).hits], before)
    finally:
        names = list(engine.client.indices.get(index=f"{engine.alias}-*", allow_no_indices=True).body)
        if names:
            engine.client.indices.delete(index=",".join(names))
        engine.close()


def assert_same_hits(got: list[tuple[str, float]], expected: list[tuple[str, float]]) -> None:
    """Same ids in the same order; scores equal up to float rounding (one graph instead of several may sum a
    kNN score in another order)."""
    assert [doc_id for doc_id, _ in got] == [doc_id for doc_id, _ in expected], (got, expected)
    scores = [score for _, score in expected]
    assert [score for _, score in got] == pytest.approx(scores, rel=1e-5), (got, expected)
