"""The geography linker seen from search: the places a short query names (`QueryPlaceLinker`)."""

from __future__ import annotations

import re

from core.stopwords import FRENCH_STOP_WORDS
from nlp.geo.protocols import PlaceLinker
from nlp.geo.results import REPORT_THRESHOLD, GeoResult
from search_api.engines.understanding import PlaceRef

# Words after which a lower-case word may be a place typed without its capital (« quartiers de marseille »,
# « en seine-saint-denis », « lille, roubaix et tourcoing »). Only such words are recased, so common nouns
# elsewhere in the query (« au pied des tours », « le tennis ») stay common nouns.
_PLACE_LEAD = re.compile(
    r"(?:\b(?:à|a|en|de|d'|d’|du|dans|vers|sur|et|ou|autour de|près de)\s*|,\s*)$", re.IGNORECASE
)
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# Parts of a compound place name that keep their lower case (« Vaulx-en-Velin », « Val-d'Oise »).
_NAME_PARTICLES = frozenset(
    {"en", "sur", "sous", "le", "la", "les", "de", "des", "du", "d", "et", "lès", "lez", "aux"}
)


def _capitalise(word: str) -> str:
    """« seine-saint-denis » -> « Seine-Saint-Denis », « val-d'oise » -> « Val-d'Oise »."""
    parts = re.split(r"([-'’])", word)
    out = []
    for i, part in enumerate(parts):
        keep = i > 0 and part.lower() in _NAME_PARTICLES
        out.append(part if keep or not part else part[:1].upper() + part[1:])
    return "".join(out)


def recase_places(text: str) -> str:
    """The query with lower-case words that follow a place preposition or a list separator capitalised.

    The linker reads capitalised names only; analysts often type « marseille » or « seine-saint-denis ».
    Only a query typed without any capital after its first letter is recased: one that capitalises
    some name is read as typed, so it links exactly as before.
    """
    if any(ch.isupper() for ch in text[1:]):
        return text
    out: list[str] = []
    last = 0
    for match in _WORD.finditer(text):
        word = match.group()
        out.append(text[last : match.start()])
        before = text[: match.start()]
        common = word.lower() in FRENCH_STOP_WORDS
        if word.islower() and len(word) > 2 and not common and _PLACE_LEAD.search(before):
            word = _capitalise(word)
        out.append(word)
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def _drop_faint_areas(result: GeoResult, min_confidence: float) -> None:
    """Departments and regions that only a faint commune gave (a recased common noun: « en ligne »)."""
    faint = [c for c in result.communes if c.confidence < min_confidence]
    sure = [c for c in result.communes if c.confidence >= min_confidence]
    deps = {c.dep_code for c in faint} - {c.dep_code for c in sure}
    regions = {c.reg_code for c in faint} - {c.reg_code for c in sure}
    result.departments = [d for d in result.departments if d not in deps]
    result.regions = [r for r in result.regions if r not in regions]


class GeoQueryLinker:
    """Wraps `nlp.geo`'s linker: communes and QPVs it is confident about, departments, regions, abroad."""

    def __init__(
        self, linker: PlaceLinker, min_confidence: float = REPORT_THRESHOLD, recase: bool = True
    ) -> None:
        self.linker = linker
        self.min_confidence = min_confidence
        self.recase = recase

    def link_query(self, text: str) -> list[PlaceRef]:
        """Places of the query, finest first (QPVs, communes, departments, regions), then abroad.

        Lower-case place names after a place preposition are read as names (`recase_places`).
        """
        recased = recase_places(text) if self.recase else text
        result = self.linker.link(recased)
        if recased != text:
            _drop_faint_areas(result, self.min_confidence)
        if result.foreign:
            return [PlaceRef("abroad", p.country, p.name) for p in result.foreign_places] or [
                PlaceRef("abroad", "", "étranger")
            ]
        places = [PlaceRef("qpv", q.code, q.name) for q in result.qpvs if q.confidence >= self.min_confidence]
        places += [
            PlaceRef("commune", c.insee, c.name)
            for c in result.communes
            if c.confidence >= self.min_confidence
        ]
        places += [PlaceRef("department", code, code) for code in result.departments]
        places += [PlaceRef("region", code, code) for code in result.regions]
        return places
