"""Who publishes a page, read from its URL: a town's own site, a blog, a document mirror, an association...

The document kind is mostly a property of the site (docs/models.md, eighth round): a city's news page reads
like a newspaper article, a blog reprint like the article it copies. Cross-validation never shows a site
twice, so these cues say what kind of site it is without having seen it: whether a host label is the name of
a commune (population >= 2,000), a department or a region (``pantin.fr``, ``ville-creteil.fr``,
``lemag.seinesaintdenis.fr``), and which families of words its host and path hold (blog platforms,
document-sharing mirrors, association, public body, social landlord, foundation or company, press titles,
calls, laureates, news sections), plus its top-level domain.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt

from nlp.geo.reference import iter_rows

FloatArray = npt.NDArray[np.float64]

# Towns whose name marks a town's own site (below this, names are too often common words).
MIN_TOWN_POPULATION = 2000
# The first word of a larger town's compound name also counts ("brive" for Brive-la-Gaillarde).
MIN_FIRST_WORD_POPULATION = 20000
# A host label containing the name of a city this large ("nanterreinfo", "parishabitat").
MIN_CITY_POPULATION = 50000

# Words around a town's name in its sites' host labels, stripped in this order.
_PREFIXES: tuple[str, ...] = (
    "mairiede",
    "mairied",
    "mairie",
    "villede",
    "villed",
    "ville",
    "vivrea",
    "vivre",
    "lemag",
)
_PREFIXES += ("mag", "cc", "agglo", "grand", "mavillede")
_SUFFIXES = ("info", "mag", "ville", "agglo", "metropole", "magazine", "fr")

_PRESS = (
    r"journal|presse|actu|\bnews|\binfo|radio|\btv\b|france3|francebleu|francetv|la1ere|lemonde|liberation"
    r"|leparisien|figaro|ouest-france|sudouest|ladepeche|lavoixdunord|midilibre|leprogres|\bdna\b"
    r"|estrepublicain|lamontagne|letelegramme|20minutes|bondyblog|nicematin|varmatin|laprovence|courrier"
    r"|republicain|depeche|observateur|express|humanite|lejdd|mediapart|marianne|\bmag\b|hebdo|quotidien"
    r"|gazette|tribune|echos|lesechos|telerama|huffington|rfi|franceinfo|bfm|europe1|rtl|lci|maville"
    r"|lanouvellerepublique|lalsace|lunion|larep|dauphine|lyonmag|lyoncapitale|marsactu|objectif|reporterre"
    r"|alternatives|kaizen|usinenouvelle|lagazettedescommunes|weka"
)
# Families of words, searched in the host (dots spaced out, so ``\b`` sees its labels) and in the path.
WORD_FAMILIES: dict[str, str] = {
    "blog": r"blog|wordpress|typepad|canalblog|hautetfort|noblogs|overblog|over-blog|\bfree\b|medium|\bwix"
    r"|jimdo|webnode|e-monsite|skyrock",
    "forum": r"forum|threads|/t/|discussion|viewtopic",
    "mirror": r"pdfslide|fdocuments|doczz|youscribe|readkong|calameo|yumpu|docplayer|cld\.bz|issuu|slideshare"
    r"|vdocuments|studylib|scribd|rssing|amazonaws|wideo|documents\.|pdf|fliphtml|dokumen|shaarli|cairn"
    r"|persee|hal\.|theses",
    "asso": r"asso|association|\bcress|reseau|federation|collectif|\bunion",
    "public": r"gouv|\bville|mairie|agglo|metropole|departement|region|prefecture|\bcaf\b|\bars\b|anru|anct"
    r"|cget|banquedesterritoires|bpifrance|\bcd\d|\bcg\d|conseil|communaute|\bccas|cohesion-territoires"
    r"|pole-emploi|francetravail|onisep|\bcnaf|sante\.fr",
    "landlord": r"habitat|\bhlm|logement|\bsidr|\bopac|\boph|vilogia|\b3f\b|immobiliere",
    "foundation": r"fondation|foundation|\bfonds|groupe?\b|group\.|corporate|mecenat|\brse\b",
    "press": _PRESS,
    "call": r"appel|candidat|\baap\b|\bami\b|concours|prix|trophee|subvention|financement|dispositif",
    "laureates": r"laureat|palmares|gagnant|resultat|selection|prix|trophee|winners",
    "news": r"actualite|actus?\b|\bnews|article|\d{4}/\d{2}|breves|a-la-une|communique",
}
_FAMILY_RE = {name: re.compile(pattern) for name, pattern in WORD_FAMILIES.items()}
_TLDS = ("fr", "org", "com", "net")
CUE_NAMES: tuple[str, ...] = (
    ("host_place", "host_city")
    + tuple(f"host_{k}" for k in WORD_FAMILIES)
    + tuple(f"path_{k}" for k in WORD_FAMILIES)
    + tuple(f"tld_{t}" for t in _TLDS)
    + ("tld_other", "path_depth", "no_url")
)


def _ascii_key(text: str) -> str:
    """Lower-case ASCII letters and digits only ("Saint-Étienne-du-Rouvray" -> "saintetiennedurouvray")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]", "", folded)


@dataclass(frozen=True)
class HostPlaces:
    """Place names a host may be named after: towns, departments, regions; and the large cities."""

    names: frozenset[str]
    cities: frozenset[str]


@lru_cache(maxsize=4)
def load_host_places(reference_dir: Path) -> HostPlaces:
    """The place keys of the official reference files (communes, departments, regions).

    Read once per folder and process: every fit of a `DocKindModel` asks for them (15 fits in a three-seed
    cross-validation), and the result is immutable.
    """
    names: set[str] = set()
    cities: set[str] = set()
    for row in iter_rows(reference_dir, "communes.csv"):
        population = int(float(row["population"] or 0))
        key = _ascii_key(row["nom"])
        if population >= MIN_TOWN_POPULATION:
            names.add(key)
        first = _ascii_key(re.split(r"[- ]", row["nom"])[0])
        if population >= MIN_FIRST_WORD_POPULATION and len(first) >= 5:
            names.add(first)
        if population >= MIN_CITY_POPULATION and len(key) >= 5:
            cities.add(key)
    for file, column in (("departements.csv", "dep_nom"), ("regions.csv", "reg_nom")):
        names.update(_ascii_key(row[column]) for row in iter_rows(reference_dir, file))
    return HostPlaces(frozenset(names), frozenset(cities))


def _label_forms(label: str) -> set[str]:
    """A host label with and without the words sites put around a town's name (``ville-``, ``mag``)."""
    forms = {_ascii_key(label)}
    for prefix in _PREFIXES:
        forms |= {f[len(prefix) :] for f in forms if f.startswith(prefix) and len(f) > len(prefix) + 2}
    for suffix in _SUFFIXES:
        forms |= {f[: -len(suffix)] for f in forms if f.endswith(suffix) and len(f) > len(suffix) + 2}
    return forms


def host_place(host: str, places: HostPlaces) -> tuple[float, float]:
    """(a label is a place's name, a label contains a large city's name) for a host without ``www.``."""
    named = city = 0.0
    for label in host.split(".")[:-1]:
        forms = _label_forms(label)
        if forms & places.names:
            named = 1.0
        if any(c in f for f in forms for c in places.cities):
            city = 1.0
    return named, city


def url_cues(url: str | None, places: HostPlaces) -> FloatArray:
    """The cue vector of one URL, in `CUE_NAMES` order (0/1 flags, the path depth in [0, 1])."""
    out = np.zeros(len(CUE_NAMES))
    if not url:
        out[-1] = 1.0
        return out
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.").rstrip(".")
    path = unicodedata.normalize("NFKD", parts.path.lower()).encode("ascii", "ignore").decode()
    spaced = host.replace(".", " . ")
    tld = host.rsplit(".", 1)[-1]
    values = [*host_place(host, places)]
    values += [float(bool(rx.search(spaced))) for rx in _FAMILY_RE.values()]
    values += [float(bool(rx.search(path))) for rx in _FAMILY_RE.values()]
    values += [float(tld == t) for t in _TLDS] + [float(tld not in _TLDS)]
    values += [min(len([s for s in parts.path.split("/") if s]), 6) / 6, 0.0]
    out[:] = values
    return out


def url_cue_matrix(urls: list[str | None], places: HostPlaces) -> FloatArray:
    """One row of `url_cues` per URL."""
    if not urls:
        return np.zeros((0, len(CUE_NAMES)))
    return np.vstack([url_cues(u, places) for u in urls])
