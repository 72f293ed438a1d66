"""The embedded engine's column store: signals read from numpy columns, filter masks computed once."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from core.domain import SearchQuery
from search_api.engines.base import Filters, IndexDocument, SearchEngine
from search_api.engines.columns import SIGNAL_KEYS, ColumnStore
from search_api.engines.embedded import EmbeddedEngine
from search_api.engines.embedding_cache import CachedEmbedder
from search_api.engines.place_cache import CachedPlaceLinker, cached_place_linker
from search_api.engines.signals import DocSignals, signals_of
from tests.search.parity import same_hybrid_hits, understanding_backends
from vigie.query_places import GeoQueryLinker

DIM = 384
# Summaries as `make_index_document` writes them, plus what an older or broken analysis may leave.
SUMMARIES: list[dict[str, object]] = [
    {"type_scores": {"sociale": 0.7, "services": 0.25}, "places_abroad": [{"country": "BE", "name": "BE"}]},
    {"type_scores": "broken", "places_abroad": [{"name": "ailleurs"}, "not a place"]},
    {},
    {"type_scores": {"technologique": 1}, "places_abroad": []},
]  # fmt: skip


def _with_summaries(corpus: list[IndexDocument]) -> list[IndexDocument]:
    return [dataclasses.replace(doc, summary=SUMMARIES[i % len(SUMMARIES)]) for i, doc in enumerate(corpus)]


def _from_json(doc: IndexDocument) -> DocSignals:
    """What reranking reads from the stored JSON (place names are for `why` only)."""
    return dataclasses.replace(signals_of(doc.to_source()), place_names={})


def _signals(store: ColumnStore, ids: list[str]) -> dict[str, DocSignals]:
    signals = store.signals([store.row_of[i] for i in ids])
    assert signals is not None
    return dict(zip(ids, signals, strict=True))


def test_signals_from_columns_equal_the_stored_json(tmp_path: Path, corpus: list[IndexDocument]) -> None:
    """Across segments, a replaced document, a deleted one and a reload from disk."""
    docs = _with_summaries(corpus)
    store = ColumnStore(tmp_path / "columns", DIM)
    store.append(docs[:5])
    store.append(docs[5:])
    changed = dataclasses.replace(
        docs[0],
        keywords={**docs[0].keywords, "in_qpv": [], "doc_kind": [], "commune": ["31555", "13055"]},
        summary={"type_scores": {"marketing": 0.4}, "places_abroad": [{"country": "ES"}, {"country": ""}]},
        initiative_score=0.123456789012,
    )
    store.append([changed])
    store.delete([docs[1].id])
    expected = {d.id: _from_json(d) for d in [changed, *docs[2:]]}
    assert expected[changed.id].places["abroad"] == frozenset({"ES", ""})
    assert expected[changed.id].in_qpv == "unknown" and expected[changed.id].doc_kind == "other"
    for reader in (store, ColumnStore(tmp_path / "columns", DIM)):
        assert docs[1].id not in reader.row_of
        assert _signals(reader, list(expected)) == expected


def test_segments_without_signal_columns_read_the_json_and_rank_alike(
    tmp_path: Path, corpus: list[IndexDocument], embedder: CachedEmbedder, place_linker: GeoQueryLinker
) -> None:
    """An index written before the signal columns: same hits, scores and why as a fresh one."""
    docs = _with_summaries(corpus)
    fresh = EmbeddedEngine(tmp_path / "fresh", embedder=embedder, place_linker=place_linker)
    old = EmbeddedEngine(tmp_path / "old", embedder=embedder, place_linker=place_linker)
    for engine in (fresh, old):
        engine.rebuild(iter(docs))
    generation = (tmp_path / "old" / (tmp_path / "old" / "CURRENT").read_text().strip()) / "columns"
    for segment in generation.glob("seg-*.npz"):
        with np.load(segment) as data:
            arrays = {k: data[k] for k in data.files if k not in SIGNAL_KEYS}
        np.savez(segment, **arrays)
    old = EmbeddedEngine(tmp_path / "old", embedder=embedder, place_linker=place_linker)
    assert ColumnStore(generation, DIM).signals([0]) is None
    queries = [
        SearchQuery(text="projets solidaires dans les quartiers de Toulouse", size=10),
        SearchQuery(text="services mobiles de santé", mode="semantic", size=10),
        SearchQuery(text="initiatives numériques", filters={"in_qpv": ["true"]}, size=10),
    ]
    for query in queries:
        got, want = old.search(query), fresh.search(query)
        assert [(h.id, h.score, h.why) for h in got.hits] == [(h.id, h.score, h.why) for h in want.hits]
    assert any(h.why.get("signals") for h in want.hits)


def test_filter_masks_follow_writes_and_cannot_be_changed(
    tmp_path: Path, corpus: list[IndexDocument]
) -> None:
    """The cached mask of a filter is dropped on every write, and callers cannot alter it."""
    store = ColumnStore(tmp_path / "columns", DIM)
    store.append(corpus)
    toulouse = Filters(keywords={"commune": ["31555"]})
    before = store.count(toulouse)
    assert before >= 1
    extra = dataclasses.replace(corpus[0], id="extra", keywords={"commune": ["31555"]})
    store.append([extra])
    assert store.count(toulouse) == before + 1
    assert store.knn(np.asarray(extra.vector), toulouse, 1)[0][0] == store.row_of["extra"]
    store.delete(["extra"])
    assert store.count(toulouse) == before
    with pytest.raises(ValueError, match="read-only"):
        store.mask(toulouse)[0] = True


def test_an_engine_sees_what_another_engine_on_the_same_folder_wrote(
    tmp_path: Path, corpus: list[IndexDocument]
) -> None:
    """Another process writing (here another engine object) is seen at the next query."""
    reader = EmbeddedEngine(tmp_path / "idx", dim=DIM)
    writer = EmbeddedEngine(tmp_path / "idx", dim=DIM)
    writer.index_documents(corpus[:3])
    assert reader.count() == 3
    writer.index_documents(corpus[3:])
    assert reader.count() == len(corpus)
    writer.rebuild(iter(corpus[:2]))
    assert reader.count() == 2
    assert reader.search(SearchQuery(text="fablab", mode="keyword")).total <= 2


SIGNAL_QUERIES = [
    "applications numériques dans les cités",
    "services itinérants et entraide à Toulouse",
    "projets solidaires en Belgique",
    "initiatives coopératives dans les quartiers",
]


@pytest.mark.elasticsearch
def test_signals_rank_alike_on_both_backends(
    make_backend: Callable[[str], SearchEngine],
    corpus: list[IndexDocument],
    place_linker: GeoQueryLinker,
) -> None:
    """Type scores and places abroad (numpy columns here, a narrowed source there): same hits and why."""
    engines = understanding_backends(make_backend, _with_summaries(corpus), place_linker)
    boosted = set()
    for text in SIGNAL_QUERIES:
        hits = same_hybrid_hits(engines, text)
        boosted |= {k for h in hits for k in h.why.get("signals", {})}
    assert {"types", "initiative_score", "in_qpv"} <= boosted


def test_the_places_of_a_query_are_linked_once(
    tmp_path: Path, embedder: CachedEmbedder, corpus: list[IndexDocument], place_linker: GeoQueryLinker
) -> None:
    """Page 2 of a query reuses the places of page 1; callers get their own list each time."""
    engine = EmbeddedEngine(tmp_path / "idx", embedder=embedder, place_linker=place_linker)
    engine.index_documents(corpus)
    cached = engine.place_linker
    assert isinstance(cached, CachedPlaceLinker) and cached_place_linker(cached) is cached
    text = "initiatives solidaires à Toulouse"
    pages = [engine.search(SearchQuery(text=text, size=2, page=p)) for p in (1, 2)]
    assert cached.cache_info().misses == 1 and cached.cache_info().hits == 1
    assert pages[0].hits[0].why["place"] == ["Toulouse"]
    places = cached.link_query(text)
    assert places == place_linker.link_query(text) and places[0].name == "Toulouse"
    places.clear()
    assert cached.link_query(text) == place_linker.link_query(text)
