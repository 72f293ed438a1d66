"""The page URL as a place signal, and the salience of the towns a text names."""

from __future__ import annotations

from nlp.geo import GeoLinker
from nlp.geo.communes import LATE_PENALTY, OTHER_DEPARTMENT_PENALTY
from nlp.geo.results import REPORT_THRESHOLD
from nlp.geo.urls import HOST_STRENGTH, SECTION_STRENGTH, SLUG_LOCATIVE_STRENGTH, UrlReader


def _reported(result: object) -> set[str]:
    return {c.insee for c in result.communes if c.confidence >= REPORT_THRESHOLD}  # type: ignore[attr-defined]


def test_url_reader_finds_town_sites_sections_slugs_and_departments(linker: GeoLinker) -> None:
    reader = UrlReader(linker.gazetteer)
    assert reader.read("https://agenda21.lorient.fr/rapport-dd-2020-axe-2/").towns == {"56121": HOST_STRENGTH}
    assert reader.read("https://agenda21.lorient.fr/x").departments == set()  # "21" is no department here
    grigny = reader.read("https://www.ville-grigny91.fr/actualites")
    assert grigny.towns == {"91286": HOST_STRENGTH} and grigny.departments == {"91"}
    # an agglomeration's site is named after its main town, often shortened
    assert reader.read("https://clermontmetropole.eu/fr/galerie-videos/").towns == {"63113": HOST_STRENGTH}
    assert reader.read("https://www.tribune-hebdo.fr/tours/le-sanitas").towns["37261"] == SECTION_STRENGTH
    slug = reader.read("https://www.francebleu.fr/infos/un-repair-cafe-lance-a-villers-les-nancy-pour-tous")
    assert slug.towns == {"54578": SLUG_LOCATIVE_STRENGTH}
    department = reader.read("https://www.leparisien.fr/seine-saint-denis-93/un-article-sur-le-sport")
    assert department.departments == {"93"} and department.towns == {}
    assert reader.read("https://france3-regions.francetvinfo.fr/bretagne/").towns == {}  # the region
    assert reader.read("https://www.arteradio.com/son/61661515/la_voix").towns == {}  # a word first
    assert reader.read("https://www.ctpost.com/news/us/article/x.php").towns == {}
    assert reader.read(None).towns == {} and reader.read("not a url").towns == {}


def test_url_section_decides_between_homonyms(linker: GeoLinker) -> None:
    text = "Une ressourcerie solidaire ouvre ses portes à Valence, avec dix salariés en insertion."
    assert linker.link(text).communes[0].insee == "26362"  # the most populous Valence (Drôme)
    url = "https://www.ladepeche.fr/tarn-et-garonne/valence/une-ressourcerie-ouvre-ses-portes"
    assert linker.link(text, url=url).communes[0].insee == "82186"


def test_town_site_gives_the_town_of_a_text_naming_only_its_quartier(linker: GeoLinker) -> None:
    text = (
        "La maison des services a ouvert ses portes au cœur du quartier. Les habitants y trouvent "
        "une permanence emploi, un écrivain public et un point numérique."
    )
    assert linker.link(text).communes == []
    result = linker.link(text, url="https://www.reze.fr/actualite/la-maison-des-services-ouverte/")
    assert [c.insee for c in result.communes] == ["44143"]
    assert result.communes[0].confidence >= REPORT_THRESHOLD
    assert result.communes[0].evidence.startswith("https://www.reze.fr/")
    # an unrelated host naming a town does not outweigh the town the text is about
    text_elsewhere = "À Marseille, la friche Coco Velten a été inaugurée par le Premier ministre."
    orange = linker.link(text_elsewhere, url="https://actu.orange.fr/videos/actu-locale/coco-velten")
    assert _reported(orange) == {"13055"}


def test_origin_and_comparison_mentions_are_not_the_initiative_town(linker: GeoLinker) -> None:
    founded = linker.link(
        "Sport dans la Ville, association fondée en 1998 à Lyon, ouvre à Nantes des créneaux de foot "
        "réservés aux filles sur le terrain des Dervallières."
    )
    assert "44109" in _reported(founded) and "69123" not in _reported(founded)
    compared = linker.link(
        "À Roubaix, une cantine solidaire ouvre ses portes. Comme à Paris, les repas sont à prix libre."
    )
    assert _reported(compared) == {"59512"}
    related = linker.link(
        "À Roubaix, une cantine solidaire ouvre ses portes aux habitants.\nÀ lire aussi : à Brest, une "
        "épicerie participative"
    )
    assert _reported(related) == {"59512"}


def test_town_named_only_late_is_context_when_the_lead_has_a_sure_town(linker: GeoLinker) -> None:
    filler = " Les apprentis suivent une formation de cuisine de onze semaines avec des chefs." * 5
    text = (
        "L'école de cuisine va accueillir à Grigny ses premiers apprentis lundi." + filler + " La première "
        "école avait ouvert ses portes à Paris."
    )
    with_lead = {c.insee: c.confidence for c in linker.link(text).communes}
    without = {c.insee: c.confidence for c in linker.link(text.replace("à Grigny", "ici")).communes}
    assert with_lead["91286"] > with_lead["75056"]
    assert with_lead["75056"] <= without["75056"] - LATE_PENALTY


def test_small_number_and_article_names(linker: GeoLinker) -> None:
    prices = linker.link("À Rennes, une boîte de légumes coûte 3,15 euros au lieu de 10 euros.")
    assert prices.qpvs == []  # "Quartier du 3/15" (Méricourt) is not any "3,15"
    puy = linker.link("Une micro-crèche a ouvert ses portes au Puy-en-Velay, en Auvergne.")
    assert puy.communes[0].insee == "43157"
    building = linker.link("Huit commerces s'installent au pied de l'immeuble Saint-Joseph à Nice.")
    assert _reported(building) == {"06088"}


def test_towns_listed_together_are_equally_sure_unless_the_list_compares(rules_linker: GeoLinker) -> None:
    linker = rules_linker  # the rules' confidences: the role model rescores them (docs/geo.md)
    sites = linker.link(
        "Les Compagnons Bâtisseurs expérimentent l'auto-réhabilitation accompagnée sur cinq sites :\n\n"
        "Rennes, Roubaix, Sarcelles, Bordeaux et Avignon.\n\nDes volontaires aident les habitants."
    )
    assert _reported(sites) == {"35238", "59512", "95585", "33063", "84007"}
    compared = linker.link(
        "En Aveyron, celui d'Espalion est le troisième fablab, après ceux de Millau et de Rodez."
    )
    assert "12145" not in _reported(compared) and "12202" not in _reported(compared)


def test_head_office_town_stays_context_and_future_sites_are_not_reported(linker: GeoLinker) -> None:
    result = linker.link(
        "Les Déterminés, association créée à Cergy en 2015, ouvrent une boutique éphémère à Marseille "
        "pour leurs jeunes entrepreneurs. « On l'a déjà fait chez moi à Cergy », dit le fondateur. "
        "Bientôt à Toulouse."
    )
    assert _reported(result) == {"13055"}


def test_region_after_a_locative_is_not_a_namesake_commune(linker: GeoLinker) -> None:
    result = linker.link("À Saint-André, à La Réunion, une association ouvre un jardin partagé.")
    assert [c.insee for c in result.communes if c.confidence >= REPORT_THRESHOLD] == ["97409"]


def test_listed_towns_with_department_numbers_form_one_list(linker: GeoLinker) -> None:
    text = (
        "Le programme Cité Solidaire soutient les petites associations des quartiers prioritaires.\n"
        "Territoires bénéficiaires :\n2012 : Champigny-sur-Marne (94), Grenoble (38), Le Havre (76) et "
        "Rennes (35)"
    )
    assert _reported(linker.link(text)) == {"94017", "38185", "76351", "35238"}


def test_town_placed_in_its_department_right_away_is_reported(linker: GeoLinker) -> None:
    text = (
        "Toutes les ludothèques ne sont pas situées en milieu urbain. Les jeux voyagent aussi.\n"
        "À Niozelles, dans les Alpes-de-Haute-Provence, la ludothèque la plus proche passe en camion."
    )
    placed = {c.insee: c.confidence for c in linker.link(text).communes}
    unplaced = {
        c.insee: c.confidence
        for c in linker.link(text.replace(", dans les Alpes-de-Haute-Provence", "")).communes
    }
    assert placed["04138"] >= REPORT_THRESHOLD
    assert placed["04138"] > unplaced.get("04138", 0.0)


def test_town_outside_the_department_of_the_url_section_is_less_sure(rules_linker: GeoLinker) -> None:
    linker = rules_linker  # the rules' confidences: the role model rescores them (docs/geo.md)
    text = (
        "Les Lilas : les citoyens s'unissent pour produire de l'électricité verte sur le toit d'une école. "
        "Parmi les projets voisins, la mairie de Paris a accordé un toit à une autre coopérative."
    )
    plain = {c.insee: c.confidence for c in linker.link(text).communes}
    url = "https://www.leparisien.fr/seine-saint-denis-93/les-lilas-les-citoyens-s-unissent-10-09-2019.php"
    placed = {c.insee: c.confidence for c in linker.link(text, url=url).communes}
    assert placed["93045"] >= plain["93045"]
    assert placed["75056"] <= plain["75056"] - OTHER_DEPARTMENT_PENALTY


def test_a_name_shared_by_many_towns_is_weak_without_its_department(linker: GeoLinker) -> None:
    text = (
        "Trois crèches ancrées près des centres sociaux des quartiers nord de Marseille réservent des "
        "places aux familles précaires. Les Trotteurs de Saint-Louis accueillent vingt enfants."
    )
    assert _reported(linker.link(text)) == {"13055"}  # Saint-Louis: four towns, none placed here
    placed = linker.link(text.replace("Saint-Louis", "Saint-Louis (68)"))
    assert "68297" in {c.insee for c in placed.communes}


def test_town_name_opening_a_longer_proper_name_is_weak(rules_linker: GeoLinker) -> None:
    linker = rules_linker  # the rules' confidences: the role model rescores them (docs/geo.md)
    named = "Dans le quartier, La Terrasse aux Termites, association de Clermont-Ferrand, édite un magazine."
    town = (
        "Dans le quartier, La Terrasse accueille une association de Clermont-Ferrand qui édite un magazine."
    )
    as_name = {c.insee: c.confidence for c in linker.link(named).communes}
    as_town = {c.insee: c.confidence for c in linker.link(town).communes}
    assert as_name.get("38503", 0.0) < as_town["38503"] - 0.09
    assert as_name["63113"] >= REPORT_THRESHOLD


def test_name_after_quartier_du_is_a_neighbourhood_not_a_town(linker: GeoLinker) -> None:
    result = linker.link("Des artistes se sont mobilisés au quartier du Belvédère pour peindre les marches.")
    assert "06013" not in {c.insee for c in result.communes}  # Belvédère, Alpes-Maritimes
