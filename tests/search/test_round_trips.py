"""Elasticsearch answers an understood query in few round trips, counted by a real proxy on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import numpy as np
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
# kNN; the signals of the 50 reranked candidates (the lists read doc values only: loading the sources of
# their 300 hits cost the node more than this round trip); the page of hits.
MAX_ROUND_TRIPS = 5


@pytest.mark.elasticsearch
def test_an_understood_query_takes_at_most_five_round_trips(
    es_url: str,
    embedder: CachedEmbedder,
    corpus: list[IndexDocument],
    place_linker: GeoQueryLinker,
    make_backend: Callable[[str], SearchEngine],
) -> None:
    """Keyword, kNN, count and facets in one request; the signals reranking reads in one more."""
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
                # the feedback kNN pass asks heads and passages together (`_knn_bodies`): one `_msearch`
                assert endpoints == ["_msearch", "_mget", "_msearch", "_mget", "_mget"], text
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
def test_a_rebuild_serves_one_segment_by_default_with_the_same_hits(
    es_url: str, embedder: CachedEmbedder, corpus: list[IndexDocument]
) -> None:
    """A rebuild merges its new index into one segment (one HNSW graph) before it serves;
    ``force_merge=False`` serves the segments as loaded; both give the same hits."""
    engine = ElasticsearchEngine(es_url, alias=f"vigie-test-{uuid.uuid4().hex[:10]}", embedder=embedder)
    assert engine.force_merge
    engine.bulk_threads = 1  # the rebuild sends 2,000 documents per round
    queries = [
        SearchQuery(text=text, mode=mode, size=10, collapse_duplicates=False)
        for text in ("fablab pour les jeunes", "épicerie solidaire") for mode in ("hybrid", "semantic")
    ]  # fmt: skip

    def segments() -> set[str]:
        return {s["segment"] for s in engine.client.cat.segments(index=engine.alias, format="json").body}

    def docs() -> Iterator[IndexDocument]:
        """The corpus, then filler documents; a refresh after the first round writes a first segment."""
        rng = np.random.default_rng(3)
        yield from corpus
        for i in range(2000 - len(corpus) + 20):
            if i == 2000 - len(corpus):
                engine.client.indices.refresh(index=f"{engine.alias}-*")
            vector = rng.normal(size=embedder.dim)
            text = f"compte rendu numéro {i}"
            yield IndexDocument(id=f"filler{i}", text=text, vector=vector / np.linalg.norm(vector))

    try:
        engine.force_merge = False
        engine.rebuild(docs())
        assert len(segments()) >= 2, segments()
        loaded = [[(h.id, h.score) for h in engine.search(q).hits] for q in queries]
        engine.force_merge = True
        engine.rebuild(docs())
        assert len(segments()) == 1, segments()
        for query, before in zip(queries, loaded, strict=True):
            assert before != [], query.text
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
