"""Document-level cues: is the text about another country, and is its initiative in a QPV?"""

from __future__ import annotations

import re

# places and words that say the text is about Belgium, Switzerland, Québec, Africa...
FOREIGN_MARKERS = (
    "belgique",
    "belge",
    "belges",
    "bruxelles",
    "bruxellois",
    "bruxelloise",
    "molenbeek",
    "schaerbeek",
    "anderlecht",
    "wallonie",
    "wallon",
    "wallonne",
    "flandre",
    "liege",
    "charleroi",
    "anvers",
    "cpas",
    "suisse",
    "geneve",
    "genevois",
    "lausanne",
    "zurich",
    "vaud",
    "quebec",
    "quebecois",
    "quebecoise",
    "montreal",
    "montrealais",
    "canada",
    "canadien",
    "canadienne",
    "ontario",
    "obnl",
    "senegal",
    "dakar",
    "maroc",
    "casablanca",
    "rabat",
    "tunisie",
    "tunis",
    "algerie",
    "alger",
    "abidjan",
    "ivoire",
    "cameroun",
    "douala",
    "yaounde",
    "bamako",
    "burkina",
    "ouagadougou",
    "niamey",
    "kinshasa",
    "madagascar",
    "antananarivo",
    "haiti",
    "fcfa",
    "cotonou",
    "lome",
    "conakry",
    "luxembourg",
    "libreville",
    "afrique",
)
_FOREIGN_SET = frozenset(FOREIGN_MARKERS)
_QPV_CUES = re.compile(
    r"quartiers? (?:dits? )?prioritaires?|\bqpv\b|politique de la ville|\bzus\b|\bzfu\b|\bcucs\b|\bnpnru\b"
    r"|\banru\b|renouvellement urbain|renovation urbaine|zones? urbaines? sensibles?"
    r"|zones? franches? urbaines?"
    r"|quartiers? de la politique|cite educative|contrat de ville|quartiers? en renouvellement"
)
_ELSEWHERE_CUES = re.compile(
    r"centre[ -]ville|coeur de ville|centre[ -]bourg|\bruraux\b|\brurale?s?\b|ruralite"
    r"|eco[ -]?quartier|petites villes de demain|communes? rurales?"
)


def count_foreign_markers(tokens: list[str]) -> int:
    """Number of distinct foreign place words among folded tokens."""
    return len(_FOREIGN_SET.intersection(tokens))


def find_qpv_cue(folded: str) -> str | None:
    """The first wording that places the subject in a priority neighbourhood, if any."""
    match = _QPV_CUES.search(folded)
    return match.group() if match else None


def find_elsewhere_cue(folded: str) -> str | None:
    """The first wording that places the subject in a city centre, a rural area or an eco-district."""
    match = _ELSEWHERE_CUES.search(folded)
    return match.group() if match else None
