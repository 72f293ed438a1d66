"""Unknown neighbourhood names ("quartier des Peupliers") linked to the closest QPV of the town."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from nlp.geo.gazetteer import is_generic, qpv_name_variants
from nlp.geo.normalise import name_key, name_tokens
from nlp.geo.reference import ReferenceData
from nlp.geo.results import CommuneLink, QpvLink

_QUARTIER_NAME = re.compile(
    r"\b(?:quartiers?|cités?|résidences?)\s+(?:de\s+la\s+|de\s+l['’]|du\s+|des\s+|de\s+|d['’]|la\s+|le\s+|les\s+|l['’])?"
    r"([A-ZÉÈÎÔ][\w'’-]+(?:[ -](?:de |du |des |la |le )?[A-ZÉÈÎÔ][\w'’-]+){0,2})"
)
BASE_CONFIDENCE = 0.2
SIMILARITY_WEIGHT = 0.35  # times similarity squared: only a near-identical spelling passes 0.45


def guess_quartiers(
    text: str, ref: ReferenceData, communes: list[CommuneLink], known: list[QpvLink]
) -> list[QpvLink]:
    """Link each "quartier X" not yet linked to the most similar QPV of the main town (0.2-0.55)."""
    town = next((c for c in communes if c.confidence >= 0.5 and ref.qpvs_of_commune(c.insee)), None)
    if town is None:
        return []
    candidates = ref.qpvs_of_commune(town.insee)
    covered = [(q.start, q.end) for q in known]
    guesses: dict[str, QpvLink] = {}
    for match in _QUARTIER_NAME.finditer(text):
        start, end = match.span(1)
        name = _without_town(match.group(1), town.name)
        if any(s < end and start < e for s, e in covered) or is_generic(name_tokens(name)):
            continue  # already linked, or "quartiers Nord": no name to compare
        matcher: SequenceMatcher[str] = SequenceMatcher(None)
        matcher.set_seq2(name_key(name))  # difflib caches what it learns about seq2
        words = name_tokens(name)
        score, qpv = max(
            ((max(_similarity(matcher, q.name), _word_run(words, q.name)), q) for q in candidates),
            key=lambda pair: pair[0],
        )
        confidence = round(BASE_CONFIDENCE + SIMILARITY_WEIGHT * score * score, 3)
        old = guesses.get(qpv.code)
        if old is None or confidence > old.confidence:
            guesses[qpv.code] = QpvLink(
                qpv.code, qpv.name, town.name, town.insee, confidence, match.group(0), match.start(), end
            )
    return sorted(guesses.values(), key=lambda q: -q.confidence)


def _without_town(name: str, town: str) -> str:
    """ "Nord de Marseille" -> "Nord": the town is not part of the neighbourhood's name."""
    parts = re.split(r"\s+(?:de|du|d['’])\s*", name)
    if len(parts) > 1 and name_key(parts[-1]) == name_key(town):
        return " ".join(parts[:-1])
    return name


@lru_cache(maxsize=4096)
def _variant_keys(qpv_name: str) -> tuple[str, ...]:
    return tuple(" ".join(tokens) for tokens, _ in qpv_name_variants(qpv_name))


WORD_RUN_SIMILARITY = 0.9  # "quartier de Caucriauville" in "Caucriauville Soquence": one of its parts


def _word_run(words: list[str], qpv_name: str) -> float:
    """QPV names often join two neighbourhoods without a separator ("Caucriauville Soquence",
    "Merisiers-Plaine De Neauphle"): a name that is a whole-word run of one is that QPV."""
    if sum(len(w) for w in words) < 6:
        return 0.0
    n = len(words)
    for variant in _variant_keys(qpv_name):
        tokens = variant.split()
        if any(tokens[k : k + n] == words for k in range(len(tokens) - n + 1)):
            return WORD_RUN_SIMILARITY
    return 0.0


def _similarity(matcher: SequenceMatcher[str], qpv_name: str) -> float:
    """Best string similarity between the matcher's name and any variant of the QPV name (0-1)."""
    best = 0.0
    for variant in _variant_keys(qpv_name):
        matcher.set_seq1(variant)
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            best = max(best, matcher.ratio())
    return best
