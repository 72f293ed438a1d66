"""Texts about places abroad: no French link, but the foreign town itself is reported."""

from __future__ import annotations

from nlp.geo import GeoLinker
from nlp.geo.foreign import lookup_foreign, read_foreign_url


def test_a_belgian_text_reports_its_town_not_a_french_one(linker: GeoLinker) -> None:
    text = (
        "À Molenbeek, commune de la Région de Bruxelles-Capitale, un comité de quartier ouvre un "
        "compost collectif chaussée de Gand, avec le soutien du CPAS de Molenbeek."
    )
    result = linker.link(text)
    assert result.foreign is True and result.communes == [] and result.in_qpv is False
    names = [(p.name, p.country) for p in result.foreign_places if p.confidence >= 0.5]
    assert names == [("Molenbeek-Saint-Jean", "BE")]  # "chaussée de Gand" is a street
    assert result.foreign_places[0].evidence == "Molenbeek"
    assert result.foreign_places[0].place_id == "BE:molenbeek saint jean"


def test_a_foreign_url_section_names_the_town_the_text_leaves_implicit(linker: GeoLinker) -> None:
    url = "https://www.example.net/regions/namur/ciney/2023/04/21/un-marche-solidaire"
    result = linker.link("Le CPAS et la commune organisent un marché solidaire ce dimanche.", url=url)
    assert result.foreign is True
    assert [p.name for p in result.foreign_places] == ["Ciney"]  # the deepest section, not the province
    assert read_foreign_url("https://karbon.be/fr/projets/x")[0] is True
    assert read_foreign_url("https://www.ville.fr/mons/agenda") == (False, [lookup_foreign("Mons")])


def test_a_french_town_placed_in_its_department_outweighs_a_foreign_model(linker: GeoLinker) -> None:
    text = (
        "Coopérative jeunes de Quintin (22). Chaque été, la ville de Quintin soutient une coopérative "
        "jeunesse de services, un modèle venu du Québec."
    )
    result = linker.link(text)
    assert result.foreign is False
    assert [c.name for c in result.communes][:1] == ["Quintin"]


def test_foreign_table_names_and_short_forms() -> None:
    molenbeek = lookup_foreign("Molenbeek")
    assert molenbeek is not None and molenbeek.name == "Molenbeek-Saint-Jean"
    assert lookup_foreign("molenbeek-saint-jean") == molenbeek
    assert lookup_foreign("Belgique") is None  # a country is never reported as a town
    assert lookup_foreign("Lyon") is None
