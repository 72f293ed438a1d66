"""Document-level cues: is the text about another country, and is its initiative in a QPV?"""

from __future__ import annotations

import re

# places and words that can only mean Belgium, Switzerland, Québec...: one is enough with no French place
STRONG_FOREIGN_MARKERS = frozenset(
    {
        "belgique",
        "bruxelles",
        "bruxellois",
        "bruxelloise",
        "molenbeek",
        "schaerbeek",
        "anderlecht",
        "ixelles",
        "etterbeek",
        "wallonie",
        "wallon",
        "wallonne",
        "flandre",
        "liege",
        "charleroi",
        "namur",
        "tournai",
        "verviers",
        "ciney",
        "dinant",
        "arlon",
        "nivelles",
        "cpas",
        "geneve",
        "genevois",
        "lausanne",
        "zurich",
        "neuchatel",
        "quebec",
        "quebecois",
        "quebecoise",
        "montreal",
        "montrealais",
        "gatineau",
        "sherbrooke",
        "ontario",
        "obnl",
        "dakar",
        "casablanca",
        "rabat",
        "tunis",
        "alger",
        "abidjan",
        "douala",
        "yaounde",
        "bamako",
        "ouagadougou",
        "niamey",
        "kinshasa",
        "antananarivo",
        "fcfa",
        "cotonou",
        "conakry",
        "libreville",
    }
)
# countries often named in French texts as a place of origin: they count only together with others
WEAK_FOREIGN_MARKERS = frozenset(
    {
        "belge",
        "belges",
        "suisse",
        "canada",
        "canadien",
        "canadienne",
        "senegal",
        "maroc",
        "tunisie",
        "algerie",
        "ivoire",
        "cameroun",
        "mali",
        "burkina",
        "madagascar",
        "haiti",
        "afrique",
        "luxembourg",
    }
)
_QPV_CUES = re.compile(
    r"quartiers? (?:dits? )?prioritaires?|\bqpv\b|politique de la ville|\bzus\b|\bzfu\b|\bcucs\b|\bnpnru\b"
    r"|\banru\b|renouvellement urbain|renovation urbaine|zones? urbaines? sensibles?"
    r"|zones? franches? urbaines?"
    r"|quartiers? de la politique|cite educative|contrat de ville|quartiers? en renouvellement"
    r"|conseils? citoyens?|adultes?[ -]relais|\bzup\b|delegue du prefet|\bgpv\b"
)
_ELSEWHERE_CUES = re.compile(
    r"centre[ -]ville|coeur de ville|centre[ -]bourg|hyper-?centre|centre historique|coeur historique"
    r"|vieille ville|\bruraux\b|\brurale?s?\b|ruralite|\bhameaux?\b|eco[ -]?quartier"
    r"|petites villes de demain|communes? rurales?|\bvillages\b"
    r"|\b(?:un|du|au|petit|notre|ce) village\b(?! (?:olympique|associatif|des|de la))"
    r"|zones? (?:industrielles?|artisanales?|d'activites?|commerciales?)|parcs? d'activites?"
    r"|(?:dans|sur) toute la (?:ville|commune|metropole|agglomeration)"
    r"|l'ensemble (?:de la ville|du territoire)"
    r"|a l'echelle (?:de la ville|de la commune|de l'agglomeration|de la metropole|du territoire)"
)


def count_foreign_markers(tokens: list[str]) -> tuple[int, int]:
    """Numbers of distinct strong and weak foreign place words among folded tokens."""
    unique = set(tokens)
    return len(STRONG_FOREIGN_MARKERS & unique), len(WEAK_FOREIGN_MARKERS & unique)


def is_foreign_word(word: str) -> bool:
    """A folded word that names a foreign place or people ("quebec", "belge")."""
    return word in STRONG_FOREIGN_MARKERS or word in WEAK_FOREIGN_MARKERS


def find_qpv_cue(folded: str) -> str | None:
    """The first wording that places the subject in a priority neighbourhood, if any."""
    match = _QPV_CUES.search(folded)
    return match.group() if match else None


def find_elsewhere_cue(folded: str) -> str | None:
    """The first wording that places the subject in a city centre, a rural area or an eco-district."""
    match = _ELSEWHERE_CUES.search(folded)
    return match.group() if match else None
