"""Query understanding: places through the real geography linker, intents, kinds, types, signals, why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.domain import SearchQuery
from core.errors import InputError
from search_api.engines.base import SearchEngine
from search_api.engines.evaluation import load_analyses, make_corpus_document
from search_api.engines.ranking import RankingConfig
from search_api.engines.signals import DocSignals, signal_features, signals_of
from search_api.engines.understanding import PlaceRef, QueryUnderstanding, understand_query
from vigie.query_places import GeoQueryLinker, recase_places


def test_intents_kinds_and_types_are_read_from_the_words() -> None:
    u = understand_query("appels à projets pour des applications numériques dans les quartiers prioritaires")
    assert u.wants_qpv and u.wants_initiatives
    assert u.doc_kinds == ["call_for_projects"]
    assert u.types == ["technologique"]
    # "projets" of "appels à projets" names a kind: it stays a keyword; "quartiers prioritaires" does not.
    assert "appels a projets" in u.keyword_text and "prioritaires" not in u.keyword_text


def test_a_query_of_intent_words_only_keeps_its_words() -> None:
    u = understand_query("projets et initiatives")
    assert u.keyword_text.strip() == "projets et initiatives"
    assert understand_query("bien manger à petit prix").doc_kinds == []


def test_the_geography_linker_finds_the_places_of_a_query(place_linker: GeoQueryLinker) -> None:
    places = place_linker.link_query("initiatives dans les quartiers de Roubaix et Tourcoing")
    communes = {p.code for p in places if p.kind == "commune"}
    assert communes == {"59512", "59599"}
    assert PlaceRef("department", "59", "59") in places
    assert [p.kind for p in place_linker.link_query("expériences en Belgique ou au Québec")] == ["abroad"]
    assert place_linker.link_query("aide aux devoirs") == []


def test_search_reads_query_places_with_the_rules_not_the_document_role_model(shared_dir: Path) -> None:
    """The product's query place linker: the commune role model (models/geo_roles, promoted) reads towns in
    documents; a query has no title, lead or other towns, so search keeps the rules' confidences."""
    from core.settings import load_settings
    from nlp.geo import load_linker
    from nlp.geo.roles import load_role_model
    from vigie.wiring import make_query_place_linker

    assert load_role_model() is not None, "a role model is promoted: the test guards the query linker"
    linker = make_query_place_linker(load_settings(reference_dir=shared_dir / "data" / "reference"))
    assert linker is not None
    places = linker.link_query("initiatives dans les quartiers de Roubaix et Tourcoing")
    assert {p.code for p in places if p.kind == "commune"} == {"59512", "59599"}
    assert linker.link_query("vente en ligne de paniers") == []
    documents = load_linker(shared_dir / "data" / "reference")  # the documents' linker does carry the model
    assert documents.roles is not None


def test_place_names_typed_in_lower_case_are_found(place_linker: GeoQueryLinker) -> None:
    typed = place_linker.link_query("initiatives dans les quartiers de Roubaix et Tourcoing")
    assert place_linker.link_query("initiatives dans les quartiers de roubaix et tourcoing") == typed
    assert recase_places("projets en seine-saint-denis") == "projets en Seine-Saint-Denis"
    assert recase_places("jeunes de vaulx-en-velin") == "jeunes de Vaulx-en-Velin"
    assert PlaceRef("department", "93", "93") in place_linker.link_query("projets en seine-saint-denis")
    # A query that capitalises some name is read as typed; common nouns after « de » are not places.
    assert recase_places("au pied des tours de Marseille") == "au pied des tours de Marseille"
    assert place_linker.link_query("vente en ligne de paniers") == []
    assert place_linker.link_query("solutions de garde d'enfants pour se former") == []


def test_signal_features_follow_what_the_query_asks() -> None:
    query = QueryUnderstanding(
        text="",
        keyword_text="",
        places=[PlaceRef("commune", "31555", "Toulouse")],
        wants_qpv=True,
        wants_initiatives=True,
        doc_kinds=["press"],
        types=["marketing"],
    )
    doc = signals_of(
        {
            "initiative_score": 0.8,
            "in_qpv": ["true"],
            "doc_kind": ["press"],
            "commune": ["31555"],
            "department": ["31"],
            "summary": {
                "type_scores": {"marketing": 0.7},
                "communes": [{"insee": "31555", "name": "Toulouse"}],
            },
        }
    )
    assert signal_features(query, doc) == {
        "place": 1.0,
        "qpv": 1.0,
        "initiative": 0.8,
        "kind": 1.0,
        "type": 0.7,
        "prior": pytest.approx(0.9),  # (initiative 0.8 + in-QPV 1) / 2, whatever the query asks
    }
    assert signal_features(QueryUnderstanding(text="", keyword_text=""), doc) == dict.fromkeys(
        ("place", "qpv", "initiative", "kind", "type"), 0.0
    ) | {"prior": pytest.approx(0.9)}
    assert signal_features(query, DocSignals())["qpv"] == 0.5  # unknown in-QPV: half
    assert signal_features(query, DocSignals())["prior"] == 0.25  # no initiative score, unknown in-QPV


def test_the_initiative_prior_lifts_every_hit_by_its_weight_even_when_nothing_is_asked(
    loaded: SearchEngine,
) -> None:
    """Both backends: a hybrid query with no intent, place, kind or type is reranked by the prior alone,
    each hit lifted by weight x (initiative score + in-QPV value) / 2; semantic mode is left as it was."""
    engine = loaded
    text = "apprendre avec des animateurs"
    assert not understand_query(text).asks_signals
    saved = engine.ranking  # type: ignore[attr-defined]
    scores, semantic = [], []
    try:
        for weight in (0.0, 0.5):
            engine.ranking = RankingConfig(signal_weights={"prior": weight})  # type: ignore[attr-defined]
            hits = engine.search(SearchQuery(text=text, size=20, collapse_duplicates=False)).hits
            scores.append({h.id: (h.score, h.source, h.why) for h in hits})
            query = SearchQuery(text=text, mode="semantic", size=20, collapse_duplicates=False)
            semantic.append([(h.id, h.score, h.why) for h in engine.search(query).hits])
    finally:
        engine.ranking = saved  # type: ignore[attr-defined]
    assert semantic[0] == semantic[1]
    off, on = scores
    assert len(off) >= 5 and set(off) == set(on)
    for doc_id, (score, source, why) in on.items():
        qpv = {"true": 1.0, "unknown": 0.5}.get(source["in_qpv"][0], 0.0)
        prior = (source["initiative_score"] + qpv) / 2
        assert score == pytest.approx(off[doc_id][0] + 0.5 * prior, abs=1e-5), doc_id
        # The hit says it was lifted, and by what; not when the prior is off, nor in semantic mode.
        assert why["signals"]["prior"] == pytest.approx(prior, abs=1e-3), doc_id
        assert "prior" not in off[doc_id][2].get("signals", {}), doc_id
    assert not any("prior" in why.get("signals", {}) for _, _, why in semantic[1])
    assert [h for h in on] != [h for h in off]  # the prior reorders this corpus


def test_a_place_in_the_query_lifts_the_documents_of_that_place(
    loaded: SearchEngine, place_linker: GeoQueryLinker
) -> None:
    """Both backends: the Toulouse document comes first and says why (place, words)."""
    engine = loaded
    saved = (engine.ranking, engine.place_linker)  # type: ignore[attr-defined]
    engine.ranking = RankingConfig(signal_weights={"place": 0.5})  # type: ignore[attr-defined]
    engine.place_linker = place_linker  # type: ignore[attr-defined]
    try:
        result = engine.search(SearchQuery(text="initiatives solidaires à Toulouse", size=3))
    finally:
        engine.ranking, engine.place_linker = saved  # type: ignore[attr-defined]
    top = result.hits[0]
    assert top.source["commune"] == ["31555"]
    assert top.why["place"] == ["Toulouse"]
    assert any(w.lower().startswith("solidaire") for w in top.why["words"])


def test_corpus_documents_carry_their_analysis(tmp_path: Path) -> None:
    """`vigie evaluate search --analyses`: facets and signals from `vigie analyze` lines, bad lines named."""
    good = {
        "id": "d1", "is_initiative": True, "initiative_score": 0.9, "innovation_types": ["services"],
        "type_scores": {"services": 0.8}, "in_qpv": True, "qpv": [], "doc_kind": "press", "initiatives": [],
        "communes": [{"insee": "31555", "name": "Toulouse"}], "department_codes": ["31"],
        "region_codes": ["76"], "places_abroad": [],
    }  # fmt: skip
    path = tmp_path / "analyses.jsonl"
    path.write_text(json.dumps(good) + "\n")
    analyses = load_analyses(path)
    item = {"id": "d1", "text": "Un bus itinérant.", "title": None, "url": None, "date": None}
    doc = make_corpus_document(item, analyses["d1"])
    signals = signals_of(doc.to_source())
    assert signals.type_scores == {"services": 0.8} and signals.in_qpv == "true"
    assert signals.places["commune"] == frozenset({"31555"}) and signals.doc_kind == "press"
    assert make_corpus_document(item, None).keywords == {}
    path.write_text(json.dumps(good) + "\n{broken\n")
    with pytest.raises(InputError, match=r"analyses.jsonl:2: not an analysis line"):
        load_analyses(path)
