"""Long documents matched by passages beyond the head, alike on both backends (`passages.py`)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from core.domain import SearchQuery
from core.errors import ConfigError, InputError
from core.settings import load_settings
from search_api.engines.base import Filters, IndexDocument, SearchEngine
from search_api.engines.documents import engine_max_passages
from search_api.engines.elasticsearch import ElasticsearchEngine, make_mapping
from search_api.engines.embedded import EmbeddedEngine
from search_api.engines.embedding_cache import PASSAGE_CHARS, CachedEmbedder, passage_text
from search_api.engines.passages import (
    MIN_TAIL_CHARS,
    embed_documents,
    head_end,
    passage_spans,
    passage_texts,
)
from search_api.engines.ranking import RankingEngine
from tests.search.parity import same_hybrid_hits
from vigie.wiring import make_search_engine

# Our own text: a page about a football tournament whose last paragraphs, far below the head, describe a
# repair workshop; the query about repairs can only meet that page through a passage.
FOOTBALL = [
    "Le tournoi de football des quartiers a réuni seize équipes de jeunes sur le terrain synthétique.",
    "Les éducateurs du club ont arbitré les matchs toute la journée sous un grand soleil.",
    "Les familles sont venues encourager les joueurs et partager un goûter au bord du terrain.",
    "La finale a opposé les cadets du centre social aux minimes de l'association sportive.",
    "Le maire a remis les coupes et rappelé l'importance du sport pour la cohésion du quartier.",
]
REPAIR = [
    "Dans le même local, un atelier de réparation ouvre chaque samedi matin.",
    "Des bénévoles aident les habitants à réparer grille-pains, vélos et vêtements au lieu de les jeter.",
    "On y apprend à souder, à recoudre et à changer une chambre à air, outils prêtés gratuitement.",
    "Les objets cassés retrouvent une seconde vie et les déchets du quartier diminuent.",
]
QUERY = "atelier où des bénévoles aident à réparer ses objets cassés"


def long_text(head_sentences: list[str], tail_sentences: list[str], head_chars: int = 1700) -> str:
    """Sentences of the first list until ``head_chars``, then the second list twice (about 900 chars)."""
    out: list[str] = []
    i = 0
    while sum(len(s) + 1 for s in out) < head_chars:
        out.append(head_sentences[i % len(head_sentences)])
        i += 1
    return " ".join(out + tail_sentences + tail_sentences[::-1])


def long_documents(embedder: CachedEmbedder) -> list[IndexDocument]:
    """The long football page (with its repair workshop), a short one on football, one unrelated."""
    docs = [
        IndexDocument(
            id="long1", title="Tournoi de football des quartiers", text=long_text(FOOTBALL, REPAIR),
            date="2024-05-02", initiative_score=0.7, keywords={"region": ["93"], "in_qpv": ["true"]},
        ),
        IndexDocument(
            id="foot1", title="Un club de football pour les filles", text=" ".join(FOOTBALL[:3]),
            date="2024-04-01", initiative_score=0.5, keywords={"region": ["93"], "in_qpv": ["false"]},
        ),
        IndexDocument(
            id="lib1", title="Une bibliothèque hors les murs",
            text="Les bibliothécaires lisent des contes aux enfants au pied des immeubles chaque mercredi.",
            date="2023-09-10", initiative_score=0.6, keywords={"region": ["11"], "in_qpv": ["true"]},
        ),
    ]  # fmt: skip
    embed_documents(embedder, docs)
    return docs


def test_short_texts_get_no_passage_and_long_ones_are_covered_to_the_end() -> None:
    title = "Tournoi de football des quartiers"
    assert passage_spans(title, "court. " * 50) == []
    # A tail just under half a window is left to the head (the analysts' excerpts, <= 1,968 chars).
    start = head_end(title, "x " * 2000)
    assert start == PASSAGE_CHARS - len(title) - 2
    text = "mot " * ((start + MIN_TAIL_CHARS - 4) // 4)
    assert passage_spans(title, text) == []
    text = long_text(FOOTBALL, REPAIR, head_chars=6000)
    spans = passage_spans(title, text)
    assert spans and spans[-1][1] == len(text.rstrip())  # the last window ends with the text
    assert all(b - a <= PASSAGE_CHARS - len(title) - 2 for a, b in spans)  # no window wider than the head
    assert spans[0][0] >= head_end(title, text) - 200  # at most a sentence back into the head
    assert all(text[a - 2 : a] in (". ", "") or a == spans[0][0] for a, _ in spans[1:])  # sentence starts
    assert all(s[0] < t[0] for s, t in zip(spans, spans[1:], strict=False))
    assert len(passage_spans(title, text, cap=2)) == 2
    assert all(
        len(t) <= PASSAGE_CHARS and t.startswith(title + ". ") for t in passage_texts(title, text, spans)
    )


def test_the_cap_comes_from_the_settings_to_the_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: CachedEmbedder
) -> None:
    text = long_text(FOOTBALL, REPAIR, head_chars=20000)
    assert len(passage_spans("t", text)) == 8
    assert len(passage_spans("t", text, cap=3)) == 3
    assert passage_spans("t", text, cap=0) == []
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VIGIE_SEARCH_MAX_PASSAGES", "3")
    engine = make_search_engine(load_settings(), embedder=embedder)
    assert engine_max_passages(engine) == 3
    monkeypatch.setenv("VIGIE_SEARCH_MAX_PASSAGES", "-1")
    with pytest.raises(ConfigError, match="VIGIE_SEARCH_MAX_PASSAGES"):
        load_settings()
    with pytest.raises(InputError, match="max_passages must be 0 or more"):
        EmbeddedEngine(tmp_path / "bad", embedder=embedder, max_passages=-1)


def test_head_vector_and_cache_key_are_unchanged(embedder: CachedEmbedder) -> None:
    docs = long_documents(embedder)
    heads = embedder.embed_passages([passage_text(d.title, d.text) for d in docs])
    before = embedder.misses
    for doc, head in zip(docs, heads, strict=True):
        np.testing.assert_array_equal(doc.vector, head)
    assert embedder.misses == before  # every head (and passage) was served by the cache
    long_doc, short, _ = docs
    assert short.passage_vectors is None and short.passage_spans == []
    assert long_doc.passage_vectors is not None and len(long_doc.passage_spans) >= 1
    assert long_doc.passage_vectors.shape == (len(long_doc.passage_spans), embedder.dim)


def _semantic_score(engine: SearchEngine, doc_id: str, text: str = QUERY) -> float:
    """The document's score in the backend's nearest-neighbour list (the cosine search ranks by)."""
    assert isinstance(engine, RankingEngine)
    vector = engine.embedder.embed_query(text)  # type: ignore[union-attr]
    return next(c.score for c in engine._semantic(vector, Filters(), 10) if c.id == doc_id)


@pytest.mark.parametrize(
    "backend", ["embedded", pytest.param("elasticsearch", marks=pytest.mark.elasticsearch)]
)
def test_a_long_page_is_found_by_its_passage_and_why_says_where(
    backend: str, make_backend: Callable[[str], SearchEngine], embedder: CachedEmbedder
) -> None:
    docs = long_documents(embedder)
    engine = make_backend(backend)
    assert engine.index_documents(docs).indexed == 3
    long_doc = docs[0]
    assert long_doc.passage_vectors is not None and long_doc.vector is not None
    query = embedder.embed_query(QUERY)
    head_cos = float(np.dot(long_doc.vector, query))
    best = float(np.max(long_doc.passage_vectors @ query))
    assert best > head_cos + 0.02  # the repair paragraph answers the query, the football head does not
    # Semantic score = max(head cosine, best passage cosine).
    assert _semantic_score(engine, "long1") == pytest.approx(best, abs=1e-4)
    hit = engine.search(SearchQuery(text=QUERY, mode="hybrid", size=3)).hits[0]
    assert hit.id == "long1"
    stored = engine.get_document("long1")
    stored.pop("text")
    assert hit.source == stored  # the page's source, read with its passages, is the stored one
    matched = hit.why["semantic_passage"]
    assert matched["start"] >= head_end(long_doc.title, long_doc.text) - 200
    assert "réparation" in long_doc.text[matched["start"] : matched["end"]]
    assert matched["excerpt"] and matched["cosine"] == pytest.approx(best, abs=1e-4)
    # A query the head answers: its score is the head's, and why names no passage.
    football = "tournoi de football des jeunes"
    hits = engine.search(SearchQuery(text=football, mode="semantic", size=3, collapse_duplicates=False)).hits
    top = next(h for h in hits if h.id == "long1")
    assert "semantic_passage" not in top.why
    # Filters still apply to the document, whichever vector matched.
    filtered = SearchQuery(text=QUERY, mode="semantic", filters={"in_qpv": ["false"]})
    assert [h.id for h in engine.search(filtered).hits] == ["foot1"]
    kept = SearchQuery(text=QUERY, mode="semantic", filters={"region": ["93"]}, size=1)
    assert [h.id for h in engine.search(kept).hits] == ["long1"]
    # Re-indexing the page as a short one drops its passages.
    short = IndexDocument(id="long1", title=long_doc.title, text=" ".join(FOOTBALL), vector=long_doc.vector)
    engine.index_documents([short])
    assert _semantic_score(engine, "long1") == pytest.approx(head_cos, abs=1e-4)


@pytest.mark.elasticsearch
def test_passages_rank_alike_on_both_backends(
    make_backend: Callable[[str], SearchEngine], embedder: CachedEmbedder, corpus: list[IndexDocument]
) -> None:
    docs = corpus + long_documents(embedder)
    engines = [make_backend(b) for b in ("embedded", "elasticsearch")]
    for engine in engines:
        engine.index_documents(docs)
    for text in (QUERY, "tournoi de football", "réparer un vélo", "fablab jeunes"):
        hits = same_hybrid_hits(engines, text)
        query = SearchQuery(text=text, mode="semantic", size=10, collapse_duplicates=False)
        semantic = [e.search(query).hits for e in engines]
        assert [h.id for h in semantic[0]] == [h.id for h in semantic[1]], text
        assert [h.score for h in semantic[0]] == pytest.approx([h.score for h in semantic[1]], abs=1e-4)
        assert [h.why for h in semantic[0]] == [h.why for h in semantic[1]], text
    assert hits  # the last query found something


def test_bad_passage_vectors_are_rejected(fresh: SearchEngine, embedder: CachedEmbedder) -> None:
    doc = long_documents(embedder)[0]
    assert doc.passage_vectors is not None
    doc.passage_vectors = doc.passage_vectors[:, :10]
    report = fresh.index_documents([doc])
    assert report.indexed == 0 and "passage vectors" in report.errors["long1"]


def test_embedded_index_from_before_passages_matches_by_heads(
    tmp_path: Path, embedder: CachedEmbedder
) -> None:
    """Segments written before passages lack their columns: documents score by their head, no rebuild."""
    docs = long_documents(embedder)
    for doc in docs:
        doc.passage_vectors, doc.passage_spans = None, []
    engine = EmbeddedEngine(tmp_path / "idx", embedder=embedder)
    engine.index_documents(docs)
    segments = sorted((tmp_path / "idx").glob("gen-*/columns/seg-*.npz"))
    for seg in segments:  # rewrite as the old engine wrote them (no passage keys at all)
        with np.load(seg, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files if k not in ("pvectors", "prows", "pstarts", "pends")}
        np.savez(seg, **arrays)
    old = EmbeddedEngine(tmp_path / "idx", embedder=embedder)
    head_cos = float(np.dot(docs[0].vector, embedder.embed_query(QUERY)))  # type: ignore[arg-type]
    assert _semantic_score(old, "long1") == pytest.approx(head_cos, abs=1e-5)
    hits = old.search(SearchQuery(text=QUERY, mode="hybrid", size=3)).hits
    assert all("semantic_passage" not in h.why for h in hits)
    # New writes beside the old segments bring passages for the documents they carry.
    old.index_documents(long_documents(embedder)[:1])
    assert _semantic_score(old, "long1") > head_cos + 0.02


@pytest.mark.elasticsearch
def test_elasticsearch_index_from_before_passages_keeps_serving_heads(
    es_url: str, embedder: CachedEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    """An index with the old mapping (one indexed `vector`, no `passages`) serves by heads, accepts new
    documents (their passages left out) and warns; `rebuild` brings passages."""
    alias = f"vigie-test-{uuid.uuid4().hex[:10]}"
    engine = ElasticsearchEngine(es_url, alias=alias, embedder=embedder)
    mapping = make_mapping(embedder.dim, "flat")
    properties = mapping["properties"]
    del properties["passages"]  # the mapping before passages: one indexed head vector
    try:
        engine.client.indices.create(index=f"{alias}-old", mappings=mapping, aliases={alias: {}})
        docs = long_documents(embedder)
        with caplog.at_level(logging.WARNING):
            assert engine.index_documents(docs).indexed == 3
        assert "vigie index --rebuild" in caplog.text
        head_cos = float(np.dot(docs[0].vector, embedder.embed_query(QUERY)))  # type: ignore[arg-type]
        assert _semantic_score(engine, "long1") == pytest.approx(head_cos, abs=1e-4)
        hits = engine.search(SearchQuery(text=QUERY, mode="hybrid", size=3)).hits
        assert all("semantic_passage" not in h.why for h in hits)
        engine.rebuild(iter(docs))
        assert _semantic_score(engine, "long1") > head_cos + 0.02
    finally:
        names = list(engine.client.indices.get(index=f"{alias}-*", allow_no_indices=True).body)
        if names:
            engine.client.indices.delete(index=",".join(names))
        engine.close()


def test_the_result_line_says_where_a_long_page_matched() -> None:
    """The search page's `why` line (the real template) names the passage's start and first words."""
    from types import SimpleNamespace

    import jinja2

    templates = Path(__file__).resolve().parents[2] / "search_api" / "app" / "templates"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)), autoescape=True)
    why = {
        "semantic_passage": {
            "start": 1720,
            "end": 3100,
            "cosine": 0.88,
            "excerpt": "Un atelier de réparation",
        }
    }
    html = env.get_template("_why.html").render(hit=SimpleNamespace(why=why))
    assert "caractère 1720" in html and "Un atelier de réparation" in html
    assert "caractère" not in env.get_template("_why.html").render(
        hit=SimpleNamespace(why={"words": ["vélo"]})
    )
