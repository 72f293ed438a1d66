"""Passages: splitting, best-passage scoring on both backends, and indexes from before passages."""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pytest

from core.domain import SearchQuery
from core.errors import SearchEngineError
from search_api.engines.base import Filters, IndexDocument, SearchEngine
from search_api.engines.columns import ColumnStore
from search_api.engines.elasticsearch import ElasticsearchEngine, make_mapping
from search_api.engines.embedding_cache import CachedEmbedder
from search_api.engines.passages import (
    HEAD_WEIGHT,
    MAX_PASSAGES,
    PASSAGE_CHARS,
    embed_documents,
    head_text,
    make_passages,
    split_passages,
)

FILLER = (
    "Le conseil municipal a voté le budget de la voirie, le calendrier des travaux de la rue principale "
    "et le plan de stationnement du centre-ville pour les trois prochaines années. "
)
COUTURE = (
    "Enfin, une couturière bénévole anime chaque mercredi un atelier de couture et de broderie où les "
    "habitantes apprennent à coudre leurs vêtements sur des machines prêtées par le centre social."
)


def test_passages_overlap_cut_between_words_and_are_bounded() -> None:
    text = " ".join(f"mot{i}" for i in range(400))  # about 2,700 characters
    passages = split_passages(text)
    assert 1 < len(passages) <= MAX_PASSAGES
    assert all(len(p) <= PASSAGE_CHARS for p in passages)
    words = text.split()
    for passage in passages:  # whole words only, in order
        first = words.index(passage.split()[0])
        assert passage.split() == words[first : first + len(passage.split())]
    for before, after in zip(passages, passages[1:], strict=False):
        assert after.split()[0] in before.split()  # each passage starts inside the previous one
    assert passages[-1].split()[-1] == "mot399"  # the end of the text is read
    assert len(split_passages(" ".join(["mot"] * 10_000))) == MAX_PASSAGES


def test_every_passage_is_led_by_the_title_and_a_short_text_is_its_head() -> None:
    passages = make_passages("Atelier couture", FILLER * 10)
    assert len(passages) > 1 and all(p.startswith("Atelier couture. ") for p in passages)
    assert head_text("Atelier couture", FILLER * 10) == ("Atelier couture. " + FILLER * 10)[:1500]
    assert make_passages("Atelier couture", COUTURE) == []  # one passage: the head already holds it
    assert head_text(None, "") == " "


def test_embedding_documents_embeds_each_distinct_text_once(embedder: CachedEmbedder) -> None:
    docs = [
        IndexDocument(id="a", title="Conseil", text=FILLER * 12 + COUTURE),
        IndexDocument(id="b", title="Conseil", text=FILLER * 12 + COUTURE),
        IndexDocument(id="c", title="Atelier", text=COUTURE),
    ]
    before = embedder.hits + embedder.misses
    embed_documents(embedder, docs)
    distinct = 1 + len(make_passages("Conseil", FILLER * 12 + COUTURE)) + 1
    assert embedder.hits + embedder.misses - before == distinct
    assert docs[0].passage_vectors is not None and docs[2].passage_vectors is None
    assert np.array_equal(docs[0].passage_vectors, docs[1].passage_vectors)
    assert docs[2].vector is not None and docs[2].vector.shape == (384,)


def _unit(rng: np.random.Generator, *shape: int) -> np.ndarray:
    matrix = rng.normal(size=shape).astype(np.float32)
    return matrix / np.linalg.norm(matrix, axis=-1, keepdims=True)


def test_column_store_mixes_the_head_and_the_best_passage(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    dim, docs = 16, []
    for i in range(60):
        passages = _unit(rng, int(rng.integers(2, 5)), dim) if i % 4 else None  # some short documents
        region = ["11"] if i % 3 == 0 else ["93"]
        docs.append(
            IndexDocument(
                id=f"d{i}", text="", keywords={"region": region}, vector=_unit(rng, dim),
                passage_vectors=passages,
            )
        )  # fmt: skip
    store = ColumnStore(tmp_path / "cols", dim)
    store.append(docs[:30])
    store.append(docs[30:])
    store.delete(["d4", "d33"])
    store.append([docs[5]])  # re-indexed: its earlier rows and passages are dead
    store = ColumnStore(tmp_path / "cols", dim)  # reloaded from its segments
    query = _unit(rng, dim)

    def want_score(doc: IndexDocument) -> float:
        head = float(doc.vector @ query)  # type: ignore[operator]
        if doc.passage_vectors is None:
            return head
        return HEAD_WEIGHT * head + (1 - HEAD_WEIGHT) * float((doc.passage_vectors @ query).max())

    for filters in (Filters(), Filters(keywords={"region": ["11"]})):
        live = [d for d in docs if d.id not in ("d4", "d33")]
        live = [d for d in live if not filters.keywords or d.keywords["region"] == ["11"]]
        best = {d.id: want_score(d) for d in live}
        want = sorted(best, key=lambda i: (-best[i], i))[:10]
        got = store.knn(query, filters, 10)
        assert [store.ids[r] for r, _ in got] == want
        assert [s for _, s in got] == pytest.approx([best[i] for i in want], abs=1e-5)
    assert np.allclose(store.vector("d7"), docs[7].vector)  # type: ignore[arg-type]


def test_column_store_reads_segments_from_before_passages(tmp_path: Path) -> None:
    dim = 8
    vectors = np.eye(dim, dtype=np.float32)[:3]
    docs = [
        IndexDocument(id=f"o{i}", text="", vector=vectors[i], passage_vectors=vectors[::-1]) for i in range(3)
    ]
    store = ColumnStore(tmp_path / "cols", dim)
    store.append(docs)
    segment = next((tmp_path / "cols").glob("seg-*.npz"))
    with np.load(segment) as data:  # rewrite it the old way: head vectors only
        arrays = {k: data[k] for k in data.files if k not in ("pvectors", "prows")}
    np.savez(segment, **arrays)
    old = ColumnStore(tmp_path / "cols", dim)
    assert old.knn(vectors[1], Filters(), 2) == [(1, 1.0), (0, 0.0)]  # the head alone scores
    assert np.allclose(old.vector("o2"), vectors[2])  # type: ignore[arg-type]


def test_a_document_is_found_by_a_passage_far_into_its_text(
    fresh: SearchEngine, corpus: list[IndexDocument], embedder: CachedEmbedder
) -> None:
    # The couture paragraph starts after 2,000 characters of council news: the head (first 1,500
    # characters) never saw it, its own passage does. "head1" is the same page without passages.
    long = IndexDocument(id="long1", title="Conseil municipal de mars", text=FILLER * 12 + COUTURE)
    embed_documents(embedder, [long])
    assert long.passage_vectors is not None and len(long.passage_vectors) > 3
    head_only = IndexDocument(id="head1", title=long.title, text=long.text, vector=long.vector)
    report = fresh.index_documents([*corpus, long, head_only])
    assert report.errors == {}
    query = SearchQuery(text="atelier de couture et de broderie", mode="semantic", size=50)
    ranking = [h.id for h in fresh.search(query).hits]
    assert ranking.index("long1") < 3 and ranking.index("long1") < ranking.index("head1")
    similar = fresh.more_like_this("long1", size=3)
    assert similar.hits and "long1" not in [h.id for h in similar.hits]


@pytest.mark.elasticsearch
def test_elasticsearch_index_from_before_passages_asks_for_a_rebuild(
    request: pytest.FixtureRequest, corpus: list[IndexDocument]
) -> None:
    url = request.getfixturevalue("es_url")
    alias = f"vigie-test-{uuid.uuid4().hex[:10]}"
    engine = ElasticsearchEngine(url, alias=alias, dim=384)
    mapping = make_mapping(384)
    del mapping["properties"]["passages"]
    mapping["properties"]["vector"] = {"type": "dense_vector", "dims": 384, "similarity": "cosine"}
    engine.client.indices.create(index=f"{alias}-old", mappings=mapping, aliases={alias: {}})
    try:
        with pytest.raises(SearchEngineError, match="vigie index --rebuild"):
            engine.count()
        report = engine.rebuild(iter(corpus))  # the migration: a new index, the alias moved
        assert report.indexed == len(corpus) and engine.count() == len(corpus)
        assert list(engine.client.indices.get_alias(name=alias).body) != [f"{alias}-old"]
    finally:
        names = list(engine.client.indices.get(index=f"{alias}-*", allow_no_indices=True).body)
        if names:
            engine.client.indices.delete(index=",".join(names))
        engine.close()
