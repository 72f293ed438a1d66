"""The linker on hand-written French texts: homonyms, multi-commune QPVs, arrondissements, abroad."""

from __future__ import annotations

from nlp.geo import GeoLinker, load_linker


def test_centre_ville_homonyms_are_resolved_by_the_town(linker: GeoLinker) -> None:
    anduze = linker.link(
        "Dans le quartier Centre Ville d'Anduze, une recyclerie solidaire a ouvert ses portes."
    )
    beziers = linker.link("À Béziers, le quartier Centre Ville accueille un nouveau tiers-lieu numérique.")
    assert [q.code for q in anduze.qpvs][:1] == ["QN03002M"]
    assert [q.code for q in beziers.qpvs][:1] == ["QN03401M"]
    assert anduze.qpvs[0].insee == "30010"


def test_centre_ville_without_a_town_is_not_linked(linker: GeoLinker) -> None:
    result = linker.link("Le quartier Centre Ville se transforme avec une nouvelle épicerie solidaire.")
    assert result.qpvs == []


def test_homonymous_communes_follow_department_and_postal_code(linker: GeoLinker) -> None:
    metro = linker.link("Une ressourcerie ouvre à Saint-Denis (93) près du Stade de France.")
    reunion = linker.link("Une ressourcerie ouvre à Saint-Denis, 97400, à La Réunion.")
    assert metro.communes[0].insee == "93066"
    assert reunion.communes[0].insee == "97411"
    assert "974" in reunion.departments and "04" in reunion.regions


def test_multi_commune_qpv_takes_the_town_named_in_the_text(linker: GeoLinker) -> None:
    fons = linker.link("Aux Minguettes, côté Saint-Fons, une épicerie sociale a ouvert.")
    venissieux = linker.link("Aux Minguettes, à Vénissieux, une épicerie sociale a ouvert.")
    assert fons.qpvs[0].code == venissieux.qpvs[0].code == "QN06913M"
    assert fons.qpvs[0].insee == "69199"
    assert venissieux.qpvs[0].insee == "69259"
    assert fons.in_qpv is True


def test_paris_lyon_marseille_arrondissements(linker: GeoLinker) -> None:
    paris = linker.link("Dans le 18e arrondissement de Paris, à la Goutte d'Or, une cantine solidaire.")
    marseille = linker.link("Le projet est né à Marseille 13e, dans les quartiers nord.")
    lyon = linker.link("Adresse : 12 avenue des Frères Lumière, 69008 Lyon.")
    assert (paris.communes[0].insee, paris.communes[0].arrondissement) == ("75056", "75118")
    assert paris.qpvs[0].code == "QN07511M"
    assert marseille.communes[0].arrondissement == "13213"
    assert lyon.communes[0].insee == "69123" and lyon.communes[0].arrondissement == "69388"


def test_overseas_qpv(linker: GeoLinker) -> None:
    result = linker.link(
        "À Saint-Denis de La Réunion, l'association s'installe dans le quartier du Chaudron."
    )
    assert result.qpvs[0].code == "QN97458M"
    assert result.qpvs[0].insee == "97411"
    assert result.in_qpv is True


def test_foreign_look_alike_is_not_linked(linker: GeoLinker) -> None:
    text = (
        "À Molenbeek, commune de la Région de Bruxelles-Capitale en Belgique, un comité de quartier "
        "ouvre un compost collectif dans le quartier Maritime avec le soutien du CPAS."
    )
    result = linker.link(text)
    assert result.foreign is True
    assert result.qpvs == [] and result.communes == []
    assert result.in_qpv is False


def test_old_name_from_alias_table(linker: GeoLinker) -> None:
    result = linker.link("À Toulouse, dans le quartier de la Reynerie, un fablab ouvre ses portes.")
    assert result.qpvs[0].code == "QN03107M"
    assert result.qpvs[0].confidence < 0.99


def test_unknown_quartier_gets_the_closest_qpv_with_low_confidence(linker: GeoLinker) -> None:
    result = linker.link("À Grigny, dans le quartier de la Grand Borne, une ludothèque mobile circule.")
    guessed = [q for q in result.qpvs if q.code == "QN09125M"]
    assert guessed and guessed[0].confidence < 0.6


def test_in_qpv_decision(linker: GeoLinker) -> None:
    wording = linker.link(
        "À Rennes, l'association agit dans les quartiers prioritaires de la politique de la ville."
    )
    centre = linker.link("À Rodez, la boutique éphémère s'installe en plein centre-ville, rue Béteille.")
    vague = linker.link("Une association agit dans les quartiers populaires pour l'accès au numérique.")
    other = linker.link("À Bordeaux, dans le quartier des Chartrons, une librairie coopérative ouvre.")
    small_town = linker.link("À Espalion, une épicerie coopérative ouvre ses portes.")
    assert wording.in_qpv is True
    assert centre.in_qpv is False
    assert vague.in_qpv is None
    assert other.in_qpv is False and "Chartrons" in other.in_qpv_reason
    assert small_town.in_qpv is False


def test_results_are_ordered_and_carry_evidence(linker: GeoLinker) -> None:
    text = "À Vénissieux, aux Minguettes, et à Lyon, des jardins partagés se développent."
    result = linker.link(text)
    for links in (result.communes, result.qpvs):
        confidences = [link.confidence for link in links]
        assert confidences == sorted(confidences, reverse=True)
    for link in [*result.qpvs, *result.communes]:
        assert 0 <= link.confidence <= 1
        assert text[link.start : link.end] == link.evidence


def test_spacy_entities_are_used_when_given(linker: GeoLinker) -> None:
    class Ent:
        def __init__(self, start: int, end: int, label: str) -> None:
            self.start_char, self.end_char, self.label_ = start, end, label

    class Doc:
        ents = [Ent(0, 11, "PER")]

    text = "Albert Camus aimait Tours."
    with_doc = linker.link(text, doc=Doc())
    assert [c.insee for c in with_doc.communes] == ["37261"]  # Tours; "Albert Camus" is a person


def test_empty_text_and_cached_linker(linker: GeoLinker) -> None:
    result = linker.link("")
    assert (result.qpvs, result.communes, result.in_qpv, result.foreign) == ([], [], None, False)
    assert load_linker(linker.ref.directory) is linker


def test_domain_refs_keep_confident_links(linker: GeoLinker) -> None:
    result = linker.link("Aux Minguettes, à Vénissieux, une épicerie solidaire a ouvert.")
    assert [q.code for q in result.qpv_refs()] == ["QN06913M"]
    assert [c.insee for c in result.commune_refs()] == ["69259"]
    assert result.commune_refs(min_confidence=1.01) == []


def test_department_words_and_town_wide_qpvs(linker: GeoLinker) -> None:
    nord = linker.link("Dans le Nord, à Roubaix, une ressourcerie ouvre.")
    marseille = linker.link("Les quartiers Nord de Marseille accueillent un festival de rue.")
    mayotte = linker.link("À Mamoudzou (Mayotte), le quartier Kawéni accueille une association.")
    assert nord.departments == ["59"]
    assert marseille.departments == ["13"] and marseille.qpvs == []
    assert mayotte.communes[0].insee == "97611" and mayotte.in_qpv is not False


def test_neighbourhood_typed_in_lower_case_after_its_capital_article(linker: GeoLinker) -> None:
    result = linker.link("À Nice, huit nouveaux commerces s'installent à L’ariane, au pied des immeubles.")
    assert [q.code for q in result.qpvs][:1] == ["QN00612M"]
    assert result.in_qpv is True
    assert linker.link("L’union fait la force, disent les habitants de Nice.").qpvs == []


def test_a_quartier_named_like_one_part_of_a_joined_qpv_name_is_that_qpv(linker: GeoLinker) -> None:
    # the 2024 list joins two neighbourhoods of Le Havre without a separator: "Caucriauville Soquence"
    result = linker.link(
        "Le Havre : dans le quartier de Soquence, des voisins tiennent une bricothèque au pied d'une tour."
    )
    assert [q.code for q in result.qpvs] == ["QN07609M"]
    assert 0.45 <= result.qpvs[0].confidence < 0.6  # a guess, weaker than a name the gazetteer knows
    assert result.in_qpv is True


def test_a_weak_qpv_link_on_one_common_word_does_not_place_the_text_in_a_qpv(linker: GeoLinker) -> None:
    # "Médiathèque" is the name of a QPV of Montauban: without the town, a weak link, not a decision
    text = "La Médiathèque accueille chaque mercredi un atelier de couture solidaire ouvert à tous."
    result = linker.link(text)
    assert [q.name for q in result.qpvs] == ["Médiathèque"]
    assert 0.45 <= result.qpvs[0].confidence < 0.6
    assert result.in_qpv is not True
    named = linker.link("À Montauban, la Médiathèque accueille chaque mercredi un atelier de couture.")
    assert named.in_qpv is True  # with its town, the same name is a sure link


def test_a_town_whose_article_is_inside_the_preposition_is_sure(linker: GeoLinker) -> None:
    sure = [
        c.name
        for c in linker.link("Au Mans, une recyclerie ouvre ses portes.").communes
        if c.confidence >= 0.5
    ]
    inside_a_name = linker.link("Le marché de Noël des Terrasses du Port attire du monde, à Marseille.")
    assert sure == ["Le Mans"]
    assert [c.name for c in inside_a_name.communes if c.confidence >= 0.5] == ["Marseille"]


def test_a_qpv_name_shared_by_two_towns_is_the_one_of_the_town_named_with_it(linker: GeoLinker) -> None:
    # "Grande Borne" is Grigny's "La Grande Borne" and part of Viry-Châtillon's "Plateau - Grande Borne"
    result = linker.link(
        "À Grigny, sur la Grande Borne, un repair café ouvre le samedi. Un élu de Viry-Châtillon "
        "est venu le visiter."
    )
    assert [q.code for q in result.qpvs if q.confidence >= 0.5] == ["QN09125M"]
    assert result.communes[0].name == "Grigny"
