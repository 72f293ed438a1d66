"""Rules from the error analysis on the real pool's dev ids (sixth session): names that are not the
initiative's town. Short texts written for the tests, the real linker and the real reference data."""

from __future__ import annotations

from nlp.geo import GeoLinker


def _sure(linker: GeoLinker, text: str) -> list[str]:
    return [c.name for c in linker.link(text).communes if c.confidence >= 0.5]


def test_a_name_after_a_given_name_is_a_person_not_a_town_nor_a_qpv(linker: GeoLinker) -> None:
    quote = (
        "Une épicerie solidaire a ouvert ses portes à Nancy, dans le quartier du Haut-du-Lièvre. « C'est "
        "très engageant », martèle Laurence Pavie, sa présidente."
    )
    result = linker.link(quote)
    assert [c.name for c in result.communes] == ["Nancy"]  # Pavie (Gers) is not read at all
    # "Blanchard" is a QPV of Château-Thierry: the person's name gave both the QPV and the town
    person = linker.link("Le garage solidaire de l'association a été inauguré mardi par Daniel Blanchard.")
    assert person.communes == [] and person.qpvs == []
    # after "quartier" the name is the neighbourhood again
    quartier = linker.link("Le garage solidaire s'installe dans le quartier Blanchard, à Château-Thierry.")
    assert "Blanchard" in [q.name for q in quartier.qpvs]


def test_a_demonym_after_region_or_banlieue_names_an_area_not_the_town(linker: GeoLinker) -> None:
    club = (
        "Créé en 2011, le club de boxe féminine situé en région parisienne accueille une centaine de femmes."
    )
    assert _sure(linker, club) == []
    assert _sure(linker, "Un club de boxe féminine ouvre ses portes dans un quartier parisien.") == ["Paris"]


def test_a_department_after_en_is_not_its_namesake_town(linker: GeoLinker) -> None:
    result = linker.link("En Mayenne, des conseillers numériques se déplacent dans les villages.")
    assert result.communes == [] and result.departments == ["53"]
    assert _sure(linker, "À Mayenne, des conseillers numériques reçoivent les habitants.") == ["Mayenne"]


def test_a_landmark_named_after_a_town_is_not_the_place(linker: GeoLinker) -> None:
    text = (
        "Une Micro-Folie ouvre à Beaucaire : les habitants y découvrent la galerie des Glaces du château "
        "de Versailles."
    )
    assert _sure(linker, text) == ["Beaucaire"]


def test_a_student_s_or_an_event_s_town_is_not_the_place(linker: GeoLinker) -> None:
    student = (
        "Sport dans la Ville ouvre un campus à Pantin. Cyril, 21 ans, étudiant de Bobigny, suit les cours "
        "d'anglais."
    )
    games = "Le club de breakdance de Remiremont prépare l'été, dans l'année des jeux olympiques de Paris."
    assert _sure(linker, student) == ["Pantin"]
    assert _sure(linker, games) == ["Remiremont"]


def test_other_sites_named_with_egalement_are_not_the_place(linker: GeoLinker) -> None:
    text = "Une épicerie solidaire ouvre à Niort. L'association gère également une boutique à Parthenay."
    assert _sure(linker, text) == ["Niort"]
