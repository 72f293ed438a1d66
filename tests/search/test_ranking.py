"""Fusion functions shared by both backends, and the Elasticsearch bulk-loading options."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from core.domain import SearchQuery
from core.errors import InputError, SearchEngineError
from search_api.engines.base import IndexDocument
from search_api.engines.elasticsearch import VECTOR_INDEXES, ElasticsearchEngine
from search_api.engines.feedback import expansion_terms
from search_api.engines.ranking import Candidate, RankingConfig, fuse_convex, fuse_rrf


def _list(*pairs: tuple[str, float]) -> list[Candidate]:
    return [Candidate(doc_id, score, doc_id) for doc_id, score in pairs]


def test_convex_fusion_rescales_each_list_and_weights_them() -> None:
    keyword = _list(("a", 12.0), ("b", 7.0), ("c", 2.0))  # BM25 scale
    semantic = _list(("c", 0.90), ("b", 0.85), ("d", 0.80))  # cosine scale
    fused = fuse_convex([keyword, semantic], [1.0, 1.0])
    scores = {c.id: round(c.score, 6) for c in fused}
    assert scores == {"a": 0.5, "b": 0.5, "c": 0.5, "d": 0.0}
    # Ties at equal fused score break by id, like RRF; a heavier semantic weight lifts c.
    assert [c.id for c in fused] == ["a", "b", "c", "d"]
    assert fuse_convex([keyword, semantic], [1.0, 3.0])[0].id == "c"


def test_convex_fusion_scale_free_unlike_raw_scores() -> None:
    keyword = _list(("a", 3.0), ("b", 1.0))
    semantic = _list(("b", 0.9), ("a", 0.1))
    doubled = _list(("a", 6.0), ("b", 2.0))  # another BM25 implementation's scale
    assert [c.id for c in fuse_convex([keyword, semantic], [1, 1])] == [
        c.id for c in fuse_convex([doubled, semantic], [1, 1])
    ]
    assert fuse_convex([_list(("x", 1.0))], [1.0])[0].score == 1.0  # one-element list
    assert [c.id for c in fuse_rrf([keyword, semantic], [1, 1], 60)] == ["a", "b"]


def test_rrf_scores_on_the_convex_scale() -> None:
    """RRF's fused scores lie in 0..1 (first in every list = 1), so reranking signals of a few tenths
    weigh against them as against the convex fusion's instead of swamping 1/(k + rank)."""
    keyword = _list(("a", 3.0), ("b", 2.0), ("c", 1.0))
    semantic = _list(("a", 0.9), ("c", 0.8))
    fused = {c.id: c.score for c in fuse_rrf([keyword, semantic], [1.0, 1.0], 60)}
    assert fused["a"] == pytest.approx(1.0)
    assert fused["c"] == pytest.approx((1 / 63 + 1 / 62) / (2 / 61))
    assert fused["b"] == pytest.approx((1 / 62) / (2 / 61))
    assert all(0.0 < score <= 1.0 for score in fused.values())
    assert [c.id for c in fuse_rrf([keyword, semantic], [1.0, 1.0], 60)] == ["a", "c", "b"]


def test_unknown_fusion_and_vector_index_are_refused() -> None:
    with pytest.raises(InputError, match="unknown fusion"):
        RankingConfig(fusion="sum")
    with pytest.raises(SearchEngineError, match="unknown vector index"):
        ElasticsearchEngine("http://127.0.0.1:9", vector_index="ivf")


@pytest.mark.elasticsearch
@pytest.mark.parametrize("vector_index", ["int8_hnsw", "flat"])
def test_rebuild_with_other_vector_indexes_and_parallel_bulk(
    request: pytest.FixtureRequest, vector_index: str
) -> None:
    assert vector_index in VECTOR_INDEXES
    url = request.getfixturevalue("es_url")
    engine = ElasticsearchEngine(
        url, alias=f"vigie-test-{uuid.uuid4().hex[:10]}", dim=8, vector_index=vector_index, bulk_threads=2
    )
    rng = np.random.default_rng(3)
    docs = [
        IndexDocument(id=f"d{i}", text=f"atelier numérique {i}", vector=rng.normal(size=8).astype(np.float32))
        for i in range(2500)  # more than one chunk per thread
    ]
    docs.append(IndexDocument(id="bad", text="vecteur trop court", vector=np.ones(3, dtype=np.float32)))
    try:
        engine.ping()  # the real node answers (the test distribution refuses GET /)
        report = engine.rebuild(iter(docs))
        assert report.indexed == 2500 and list(report.errors) == ["bad"]
        assert engine.count() == 2500
        settings = engine.client.indices.get_settings(index=engine.alias).body
        index_settings = next(iter(settings.values()))["settings"]["index"]
        assert index_settings.get("refresh_interval") is None  # restored after loading
        assert index_settings["translog"]["durability"] == "request"
        hits = engine.search(SearchQuery(text="atelier numérique", mode="keyword", size=5)).hits
        assert len(hits) == 5
    finally:
        names = list(engine.client.indices.get(index=f"{engine.alias}-*").body)
        engine.client.indices.delete(index=",".join(names))
        engine.close()


def test_expansion_terms_come_from_several_feedback_documents() -> None:
    texts = [
        "Un jardin partagé au pied des immeubles : potager et compost.",
        "Le potager collectif du quartier et son composteur.",
        "Une ferme urbaine sur le toit : potager, ruches.",
    ]
    terms = expansion_terms(texts, [1.0, 0.8, 0.5], query_terms=["jardin"], size=3)
    assert terms[0] == "potag"  # in all three texts, the most probable term
    assert "jardin" not in terms  # query terms are not expansion terms
    assert "ruch" not in terms  # one document's word is not the topic
    assert expansion_terms(texts, [1.0, 0.8, 0.5], ["jardin"], size=0) == []
    assert expansion_terms([], [], ["jardin"], size=5) == []
    # The heavier document decides between terms of equal counts.
    assert expansion_terms(["ruche miel", "ruche abeille", "miel"], [1.0, 1.0, 0.1], [], 1) == ["ruch"]
