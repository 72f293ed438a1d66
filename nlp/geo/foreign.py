"""Well-known francophone places abroad, reported (never as French communes) by foreign texts.

A hand-written table from general knowledge, not from the annotated texts: the Brussels communes,
Walloon towns of about 15,000 inhabitants or more and the provincial capitals, the big Flemish towns
under their French names, Swiss, Luxembourg and Québec cities, Maghreb and French-speaking African
capitals and big towns. Names shared with a French commune of 10,000+ inhabitants (Laval,
Saint-Louis) are left out: a French text names the French town.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from nlp.geo.mentions import follows_word
from nlp.geo.normalise import Token, fold, name_key
from nlp.geo.results import ForeignPlaceLink
from nlp.geo.words import STREET_WORDS

# country code -> towns; "Molenbeek-Saint-Jean|Molenbeek" gives a short form of the same place
_TOWNS: dict[str, str] = {
    "BE": (
        "Bruxelles|Brussel, Anderlecht, Auderghem, Berchem-Sainte-Agathe, Etterbeek, Evere, Forest, "
        "Ganshoren, Ixelles, Jette, Koekelberg, Molenbeek-Saint-Jean|Molenbeek, Saint-Gilles, "
        "Saint-Josse-ten-Noode|Saint-Josse, Schaerbeek, Uccle, Watermael-Boitsfort, "
        "Woluwe-Saint-Lambert, Woluwe-Saint-Pierre, Liège, Charleroi, Namur, Mons, La Louvière, Tournai, "
        "Seraing, Verviers, Mouscron, Herstal, Braine-l'Alleud, Châtelet, Wavre, "
        "Ottignies-Louvain-la-Neuve|Louvain-la-Neuve, Waterloo, Nivelles, Arlon, Binche, Ath, Soignies, "
        "Huy, Dinant, Ciney, Marche-en-Famenne, Bastogne, Gembloux, Andenne, Fleurus, Sambreville, "
        "Courcelles, Flémalle, Ans, Spa, Eupen, Rixensart, Braine-le-Comte, Tubize, Waremme, Jodoigne, "
        "Péruwelz, Comines-Warneton, Quaregnon, Boussu, Saint-Ghislain, Frameries, Colfontaine, "
        "Hannut, Visé, Chaudfontaine, Malmedy, Lessines, Enghien, Thuin, Philippeville, Couvin, Chimay, "
        "Virton, Durbuy, Anvers, Gand, Bruges, Louvain, Malines, Courtrai, Ostende, Hasselt, Alost, Ypres"
    ),
    "CH": (
        "Genève, Lausanne, Berne, Zurich, Bâle, Fribourg, Neuchâtel, Sion, Lucerne, Lugano, Bienne, "
        "Montreux, Vevey, Yverdon-les-Bains|Yverdon, Nyon, Morges, La Chaux-de-Fonds, Delémont, "
        "Martigny, Sierre, Monthey, Renens, Carouge, Vernier, Lancy, Meyrin, Onex, Winterthour, Saint-Gall"
    ),
    "CA": (
        "Montréal, Gatineau, Longueuil, Sherbrooke, Trois-Rivières, Saguenay, Chicoutimi, Lévis, "
        "Terrebonne, Repentigny, Brossard, Drummondville, Saint-Jérôme, Granby, Rimouski, "
        "Saint-Hyacinthe, Shawinigan, Rouyn-Noranda, Val-d'Or, Ottawa, Toronto, Moncton, Vancouver"
    ),
    "LU": "Esch-sur-Alzette, Differdange, Dudelange",
    "MC": "Monaco",
    "MA": (
        "Casablanca, Rabat, Marrakech, Fès, Tanger, Agadir, Meknès, Oujda, Kénitra, Tétouan, Salé, "
        "Nador, Essaouira"
    ),
    "DZ": "Alger, Oran, Constantine, Annaba, Blida, Sétif, Batna, Tlemcen, Béjaïa, Tizi Ouzou",
    "TN": "Tunis, Sfax, Sousse, Kairouan, Bizerte, Gabès, Monastir",
    "SN": "Dakar, Thiès, Ziguinchor, Touba, Kaolack",
    "CI": "Abidjan, Bouaké, Yamoussoukro",
    "ML": "Bamako, Ségou, Sikasso, Tombouctou",
    "BF": "Ouagadougou, Bobo-Dioulasso",
    "NE": "Niamey",
    "GN": "Conakry",
    "TG": "Lomé",
    "BJ": "Cotonou, Porto-Novo",
    "CM": "Douala, Yaoundé",
    "GA": "Libreville",
    "CG": "Brazzaville, Pointe-Noire",
    "CD": "Kinshasa, Lubumbashi, Goma",
    "MR": "Nouakchott",
    "TD": "N'Djamena",
    "CF": "Bangui",
    "MG": "Antananarivo|Tananarive",
    "HT": "Port-au-Prince",
    "RW": "Kigali",
    "BI": "Bujumbura",
}
# names that are regions or countries: they swallow their words ("Région de Bruxelles-Capitale" is not
# the city) and are never reported as a town
_AREAS = (
    "Bruxelles-Capitale, Belgique, Wallonie, Flandre, Flandres, Suisse, Québec, Canada, Luxembourg, "
    "Maroc, Algérie, Tunisie, Sénégal, Côte d'Ivoire, Mali, Burkina Faso, Niger, Cameroun, Gabon, "
    "Madagascar, Haïti, Liban, Bénin, Togo, Guinée, Congo"
)
# a foreign country's own web domains: their pages are about that country
FOREIGN_TLDS = frozenset({"be", "ch", "ca", "lu", "mc", "ma", "dz", "tn", "sn", "ci", "ml", "bf", "cm", "cd"})
FOREIGN_CONFIDENCE = 0.5  # a foreign town named once
LEAD_CHARS = 300
FOREIGN_STREET_WORDS = STREET_WORDS | {"rues", "chaussee", "avenues", "boulevards"}


@dataclass(frozen=True, slots=True)
class ForeignPlace:
    """A town abroad: ``key`` is its folded official name, the id the evaluation compares."""

    key: str
    name: str
    country: str


def _make_index() -> tuple[dict[str, ForeignPlace | None], int]:
    index: dict[str, ForeignPlace | None] = {}
    for country, towns in _TOWNS.items():
        for item in towns.split(","):
            names = [n.strip() for n in item.split("|")]
            place = ForeignPlace(name_key(names[0]), names[0], country)
            for name in names:
                index[name_key(name)] = place
    for area in _AREAS.split(","):
        index.setdefault(name_key(area), None)
    longest = max(len(key.split(" ")) for key in index)
    return index, longest


FOREIGN_INDEX, _LONGEST = _make_index()


def lookup_foreign(name: str) -> ForeignPlace | None:
    """The foreign town a name denotes ("Molenbeek" -> Molenbeek-Saint-Jean), if it is in the table."""
    return FOREIGN_INDEX.get(name_key(name))


def find_foreign_places(text: str, tokens: list[Token]) -> list[ForeignPlaceLink]:
    """Foreign towns named by capitalised words of a text, scored by repeats, locatives and the lead."""
    found: dict[ForeignPlace, ForeignPlaceLink] = {}
    counts: dict[ForeignPlace, int] = {}
    i = 0
    while i < len(tokens):
        if not tokens[i].capital:
            i += 1
            continue
        size, place = _longest_at(tokens, i)
        if size == 0:
            i += 1
            continue
        prev = tokens[i - 1].norm if i > 0 else ""
        if (
            place is not None
            and not (place.key == "quebec" and prev != "a")
            and not _in_street(text, tokens, i)
        ):
            start, end = tokens[i].start, tokens[i + size - 1].end
            confidence = FOREIGN_CONFIDENCE + (0.1 if prev in ("a", "de", "d") else 0.0)
            confidence += 0.1 if start < LEAD_CHARS else 0.0
            counts[place] = counts.get(place, 0) + 1
            link = found.get(place)
            if link is None or confidence > link.confidence:
                found[place] = ForeignPlaceLink(place.name, place.country, confidence, "", start, end)
        i += size
    for place, link in found.items():
        link.confidence = round(min(0.95, link.confidence + 0.1 * min(counts[place] - 1, 3)), 3)
        link.evidence = text[link.start : link.end]
    return sorted(found.values(), key=lambda p: -p.confidence)


def _in_street(text: str, tokens: list[Token], i: int) -> bool:
    """ "Chaussée de Gand", "les rues de Courtrai, de la Carpe, d'Ostende": streets named after towns."""
    return follows_word(text, tokens, i, FOREIGN_STREET_WORDS)


def _longest_at(tokens: list[Token], i: int) -> tuple[int, ForeignPlace | None]:
    for size in range(min(_LONGEST, len(tokens) - i), 0, -1):
        key = " ".join(t.norm for t in tokens[i : i + size])
        if key in FOREIGN_INDEX:
            return size, FOREIGN_INDEX[key]
    return 0, None


def read_foreign_url(url: str | None) -> tuple[bool, list[ForeignPlace]]:
    """Whether a URL's host is a foreign country's domain, and the foreign towns its path segments name."""
    if not url:
        return False, []
    foreign_host, places = _read_foreign_url(url)
    return foreign_host, list(places)


@lru_cache(maxsize=4096)
def _read_foreign_url(url: str) -> tuple[bool, tuple[ForeignPlace, ...]]:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False, ()
    host = (parts.hostname or "").lower()
    places: list[ForeignPlace] = []
    for segment in unquote(parts.path).lower().split("/"):
        place = FOREIGN_INDEX.get(" ".join(fold(w) for w in segment.replace("-", " ").split()))
        if place is not None:
            places = [place]  # "/regions/namur/ciney/": the deepest section is the town
    return host.rsplit(".", 1)[-1] in FOREIGN_TLDS, tuple(places)
