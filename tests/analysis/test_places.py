"""Geography merged over the passages of a document, with the real linker and reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.decisions import link_places
from nlp.geo import GeoLinker, load_linker


@pytest.fixture(scope="module")
def linker(shared_dir: Path) -> GeoLinker:
    return load_linker(shared_dir / "data" / "reference")


def test_a_town_named_in_passing_is_not_a_commune_of_the_document(linker: GeoLinker) -> None:
    text = (
        "À Vénissieux, dans le quartier des Minguettes, l'association Entraide Jeunes ouvre un fablab "
        "pour les collégiens. L'association, fondée à Bordeaux en 2010, a déjà essaimé ce modèle."
    )
    assert "Bordeaux" in {c.name for c in linker.link(text).communes}  # found, but only as context
    places = link_places(linker, [text], [])
    assert [c.name for c in places.communes] == ["Vénissieux"]
    assert [q.name for q in places.qpv] == ["Minguettes - Clochettes"] and places.in_qpv is True


def test_communes_of_several_passages_are_merged_most_confident_first(linker: GeoLinker) -> None:
    passages = [
        "Le projet s'étend cette année, explique la coordinatrice.",
        "À Grigny, dans l'Essonne, la Grande Borne accueille un atelier vélo solidaire.",
        "À Grigny, les habitants réparent leurs vélos ; à Vénissieux, aux Minguettes, un atelier ouvre.",
    ]
    names = [c.name for c in link_places(linker, passages, []).communes]
    assert names[0] == "Grigny" and names.count("Grigny") == 1  # the surest reading of the two passages
    assert "Vénissieux" in names


def test_a_foreign_text_reports_its_towns_abroad_and_no_french_commune(linker: GeoLinker) -> None:
    text = (
        "Bruxelles. À Molenbeek-Saint-Jean, une maison de quartier ouvre un atelier de réparation de vélos "
        "pour les jeunes. Le projet est financé par la Région bruxelloise."
    )
    places = link_places(linker, [text], [])
    assert places.foreign and places.communes == [] and places.qpv == []
    assert "Molenbeek-Saint-Jean" in {a.name for a in places.abroad}
    assert {a.country for a in places.abroad} == {"BE"}
    french = link_places(linker, ["À Vénissieux, aux Minguettes, un fablab ouvre pour les collégiens."], [])
    assert french.abroad == [] and not french.foreign


def test_places_abroad_survive_the_contract_round_trip() -> None:
    from core.domain import Analysis, PlaceAbroad

    analysis = Analysis(
        id="x",
        is_initiative=True,
        initiative_score=0.9,
        innovation_types=["sociale"],
        type_scores={},
        in_qpv=False,
        qpv=[],
        communes=[],
        doc_kind="press",
        initiatives=[],
        places_abroad=[PlaceAbroad(name="Genève", country="CH")],
    )
    assert Analysis.from_contract(analysis.to_contract()).places_abroad == [PlaceAbroad("Genève", "CH")]
