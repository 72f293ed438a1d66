"""Codes in texts: postal codes, "(93)" department numbers, arrondissements of Paris, Lyon, Marseille."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlp.geo.normalise import Token
from nlp.geo.reference import ReferenceData

_ARR_CITIES = {"paris": "75056", "lyon": "69123", "marseille": "13055"}
_ORDINAL = r"(\d{1,2})\s*(?:e|er|ème|eme|è|ᵉ|ème)"
_ARR_RE = [
    re.compile(_ORDINAL + r"\s+arrondissement\s+(?:de\s+)?(Paris|Lyon|Marseille)", re.IGNORECASE),
    re.compile(r"(Paris|Lyon|Marseille)\s*\(?" + _ORDINAL + r"\b", re.IGNORECASE),
]


@dataclass(slots=True)
class ArrondissementMention:
    """ "18e arrondissement de Paris", "Marseille 13e" or a postal code 75018 / 13013 / 69008."""

    insee: str
    parent: str
    start: int
    end: int


def find_postal_codes(tokens: list[Token], ref: ReferenceData) -> dict[str, tuple[str, ...]]:
    """Five-digit tokens that are French postal codes -> their INSEE codes."""
    found: dict[str, tuple[str, ...]] = {}
    for tok in tokens:
        if len(tok.norm) == 5 and tok.norm.isdigit() and tok.norm in ref.postal_codes:
            found[tok.norm] = ref.postal_codes[tok.norm]
    return found


_DEP_NUMBER_RE = re.compile(r"\((\d{2}|2[AB]|97\d)\)")


def find_department_numbers(text: str, ref: ReferenceData) -> list[tuple[int, str]]:
    """Department codes written in brackets after a place ("Évry (91)", "Saint-Denis (93)"), with offsets."""
    return [(m.start(), m.group(1)) for m in _DEP_NUMBER_RE.finditer(text) if m.group(1) in ref.departments]


def make_arrondissement_index(ref: ReferenceData) -> dict[tuple[str, int], str]:
    """(parent INSEE, number) -> arrondissement INSEE, from names like "Marseille 13e Arrondissement"."""
    index = {}
    for commune in ref.communes.values():
        words = commune.name.split()
        if commune.parent and len(words) > 1 and words[1][:1].isdigit():
            index[(commune.parent, int(re.sub(r"\D", "", words[1])))] = commune.insee
    return index


def find_arrondissements(
    text: str,
    ref: ReferenceData,
    by_parent_number: dict[tuple[str, int], str],
    postal: dict[str, tuple[str, ...]],
) -> list[ArrondissementMention]:
    """Arrondissements of Paris, Lyon and Marseille written out or given by postal code."""
    found: list[ArrondissementMention] = []
    for pattern in _ARR_RE:
        for m in pattern.finditer(text):
            groups = m.groups()
            city, number = (groups[1], groups[0]) if groups[0].isdigit() else (groups[0], groups[1])
            parent = _ARR_CITIES[city.lower()]
            insee = by_parent_number.get((parent, int(number)))
            if insee:
                found.append(ArrondissementMention(insee, parent, m.start(), m.end()))
    for code, insees in postal.items():
        for insee in insees:
            commune = ref.communes[insee]
            if commune.parent:
                pos = text.find(code)
                found.append(ArrondissementMention(insee, commune.parent, pos, pos + 5))
    return found
