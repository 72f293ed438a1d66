"""One contract suite for every search backend (embedded and Elasticsearch)."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from core.domain import SearchQuery
from core.errors import EngineUnavailableError, InputError, NotFoundError
from search_api.engines.base import IndexDocument, SearchEngine
from search_api.engines.elasticsearch import ElasticsearchEngine
from tests.search.corpus import DOCS, expected_ids


def ids(engine: SearchEngine, **kwargs: object) -> list[str]:
    return [h.id for h in engine.search(SearchQuery(**kwargs)).hits]  # type: ignore[arg-type]


def test_french_analysis_matches_plurals_elisions_and_accents(loaded: SearchEngine) -> None:
    # "Economie" without accent, plural "solidaires", elided "l'épicerie" all reach ess1.
    assert ids(loaded, text="economie solidaires", mode="keyword")[0] == "ess1"
    assert ids(loaded, text="l'épiceries coopératives", mode="keyword")[0] == "ess1"
    assert "fab1" in ids(loaded, text="FABLABS", mode="keyword")


def test_keyword_ranks_the_best_match_first_and_only_matches(loaded: SearchEngine) -> None:
    result = loaded.search(SearchQuery(text="jardins partagés", mode="keyword", collapse_duplicates=False))
    assert result.hits[0].id == "jard1"
    assert result.total == len(result.hits) == 1


def test_stop_words_alone_match_nothing_in_keyword_mode(loaded: SearchEngine) -> None:
    assert loaded.search(SearchQuery(text="les de la", mode="keyword")).hits == []


def test_semantic_finds_meaning_without_shared_words(loaded: SearchEngine) -> None:
    # No word of the query appears in code1, which is about learning web development.
    hits = ids(loaded, text="apprendre à programmer des logiciels", mode="semantic")
    assert "code1" in hits[:2]


def test_hybrid_fuses_both_lists(loaded: SearchEngine) -> None:
    hits = ids(loaded, text="vélos pour aller travailler", mode="hybrid", size=3)
    assert hits[0] == "mob1"
    scores = [h.score for h in loaded.search(SearchQuery(text="vélos", mode="hybrid")).hits]
    assert scores == sorted(scores, reverse=True)


QUARTIER = re.compile(r"\bquartiers?\b", re.IGNORECASE)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("region", "93"),
        ("department", "59"),
        ("commune", "31555"),
        ("qpv", "QN01301M"),
        ("in_qpv", "true"),
        ("in_qpv", "unknown"),
        ("innovation_type", "services"),
        ("doc_kind", "press"),
        ("source", "prefecture"),
        ("review_status", "validated"),
    ],
)
def test_each_keyword_filter_keeps_exactly_the_matching_documents(
    loaded: SearchEngine, field: str, value: str
) -> None:
    want = expected_ids(field, value)
    assert want, "the fixture has documents for every filter tested"
    # Keyword mode needs the word; semantic and hybrid rank every filtered document (size > corpus).
    with_word = {d["id"] for d in DOCS if d["id"] in want and QUARTIER.search(f"{d['title']} {d['text']}")}
    for mode, expected in (("keyword", with_word), ("semantic", want), ("hybrid", want)):
        query = SearchQuery(
            text="quartier", mode=mode, filters={field: [value]}, size=50, collapse_duplicates=False
        )  # type: ignore[arg-type]
        got = {h.id for h in loaded.search(query).hits}
        assert got == expected, mode
    browse = loaded.search(SearchQuery(filters={field: [value]}, size=50, collapse_duplicates=False))
    assert {h.id for h in browse.hits} == want
    assert browse.total == len(want)


def test_date_range_and_min_score_filters(loaded: SearchEngine) -> None:
    query = SearchQuery(
        filters={"date_from": "2024-01-01", "date_to": "2024-03-31"}, size=50, collapse_duplicates=False
    )
    assert {h.id for h in loaded.search(query).hits} == {"fab1", "fab2", "mob1"}
    query = SearchQuery(filters={"min_score": 0.8}, size=50, collapse_duplicates=False)
    assert {h.id for h in loaded.search(query).hits} == {d["id"] for d in DOCS if d["score"] >= 0.8}


def test_facets_count_the_filtered_documents(loaded: SearchEngine) -> None:
    result = loaded.search(SearchQuery(filters={"in_qpv": ["true"]}, facets=["region", "innovation_type"]))
    inside = [d for d in DOCS if "true" in d["keywords"]["in_qpv"]]
    assert result.facets["region"] == dict(Counter(r for d in inside for r in d["keywords"]["region"]))
    want_types = Counter(t for d in inside for t in d["keywords"]["innovation_type"])
    assert result.facets["innovation_type"] == dict(want_types)


def test_keyword_facets_count_only_documents_with_the_words(loaded: SearchEngine) -> None:
    result = loaded.search(SearchQuery(text="fablab", mode="keyword", facets=["source"]))
    assert result.facets["source"] == {"laprovence": 1, "agregateur": 1}


def test_sort_by_date_newest_first(loaded: SearchEngine) -> None:
    hits = loaded.search(SearchQuery(sort="date", size=50, collapse_duplicates=False)).hits
    dates = [h.source.get("date") or "" for h in hits]
    dated = [d for d in dates if d]
    assert dated == sorted(dated, reverse=True)
    assert dates[-1] == ""  # undated documents come last


def test_pagination_is_a_partition_of_the_ranking(loaded: SearchEngine) -> None:
    everything = ids(loaded, text="quartier", mode="hybrid", size=6)
    first = ids(loaded, text="quartier", mode="hybrid", size=3, page=1)
    second = ids(loaded, text="quartier", mode="hybrid", size=3, page=2)
    assert first + second == everything


def test_highlights_mark_the_matching_words(loaded: SearchEngine) -> None:
    hit = loaded.search(SearchQuery(text="épicerie solidaire", mode="keyword")).hits[0]
    assert any("<mark>épicerie</mark>" in h for h in hit.highlights)
    assert any("<mark>solidaire</mark>" in h for h in hit.highlights)


def test_near_duplicates_are_collapsed_with_a_count(loaded: SearchEngine) -> None:
    collapsed = loaded.search(SearchQuery(text="fablab Castellane", mode="keyword"))
    assert [h.id for h in collapsed.hits] == ["fab1"] and collapsed.hits[0].duplicates == 1
    expanded = ids(loaded, text="fablab Castellane", mode="keyword", collapse_duplicates=False)
    assert set(expanded) == {"fab1", "fab2"}


def test_more_like_this_excludes_itself_and_its_duplicates(loaded: SearchEngine) -> None:
    similar = [h.id for h in loaded.more_like_this("fab1", size=5).hits]
    assert similar and "fab1" not in similar and "fab2" not in similar
    with pytest.raises(NotFoundError):
        loaded.more_like_this("nope")


def test_get_document_returns_the_stored_source(loaded: SearchEngine) -> None:
    doc = loaded.get_document("mob1")
    assert doc["title"].startswith("Mobilité solidaire") and "Tarterêts" in doc["text"]
    assert doc["commune"] == ["91174"]
    with pytest.raises(NotFoundError):
        loaded.get_document("nope")


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        (SearchQuery(filters={"colour": ["red"]}), "unknown filter"),
        (SearchQuery(filters={"in_qpv": ["maybe"]}), "in_qpv"),
        (SearchQuery(filters={"date_from": "hier"}), "date_from"),
        (SearchQuery(facets=["colour"]), "unknown facet"),
        (SearchQuery(size=0), "size"),
        (SearchQuery(page=0), "page"),
    ],
)
def test_bad_requests_name_the_problem(loaded: SearchEngine, query: SearchQuery, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        loaded.search(query)


def test_bulk_reports_rejected_documents_and_indexes_the_rest(
    fresh: SearchEngine, corpus: list[IndexDocument]
) -> None:
    bad = IndexDocument(id="bad", text="vecteur faux", vector=np.ones(3, dtype=np.float32))
    report = fresh.index_documents([corpus[0], bad, corpus[2]])
    assert report.indexed == 2 and set(report.errors) == {"bad"} and "shape" in report.errors["bad"]
    assert fresh.count() == 2


def test_reindexing_replaces_and_delete_removes(fresh: SearchEngine, corpus: list[IndexDocument]) -> None:
    fresh.index_documents(corpus[:3])
    changed = IndexDocument(id=corpus[0].id, text="texte remplacé sur les abeilles", vector=corpus[0].vector)
    fresh.index_documents([changed])
    assert fresh.count() == 3
    assert ids(fresh, text="abeilles", mode="keyword") == [corpus[0].id]
    assert ids(fresh, text="Castellane", mode="keyword", collapse_duplicates=False) == [corpus[1].id]
    assert fresh.delete_documents([corpus[1].id, "absent"]) == 1
    assert fresh.count() == 2


def test_rebuild_switches_to_the_new_index(fresh: SearchEngine, corpus: list[IndexDocument]) -> None:
    fresh.index_documents(corpus)
    report = fresh.rebuild(iter(corpus[:4]))
    assert report.indexed == 4 and fresh.count() == 4
    assert ids(fresh, text="jardins", mode="keyword") == []
    if isinstance(fresh, ElasticsearchEngine):
        assert len(fresh.client.indices.get_alias(name=fresh.alias).body) == 1


def test_elasticsearch_down_is_engine_unavailable() -> None:
    engine = ElasticsearchEngine("http://127.0.0.1:9", alias="down", request_timeout=2)
    with pytest.raises(EngineUnavailableError, match="unreachable"):
        engine.search(SearchQuery(text="fablab"))
