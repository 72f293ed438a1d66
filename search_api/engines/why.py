"""Why a result is there: matched words, best passage, matched place and the signals that boosted it."""

from __future__ import annotations

from typing import Any

from search_api.engines.french import analyze_token, iter_words
from search_api.engines.signals import DocSignals, place_match
from search_api.engines.understanding import QueryUnderstanding

MAX_WORDS = 8
PASSAGE_EXCERPT_CHARS = 240


def matched_words(text: str, terms: list[str]) -> list[str]:
    """Words of ``text`` (as written, first occurrence) whose analysed form is a query term."""
    wanted, seen, out = set(terms), set(), []
    for start, end, word in iter_words(text):
        term = analyze_token(word)
        if term in wanted and term not in seen:
            seen.add(term)
            out.append(text[start:end])
            if len(out) >= MAX_WORDS:
                break
    return out


def make_why(
    text: str,
    terms: list[str],
    highlights: list[str],
    understanding: QueryUnderstanding | None,
    signals: DocSignals,
    features: dict[str, float] | None,
) -> dict[str, Any]:
    """The explanation of one hit (JSON): what matched, and which analysis signals the query used."""
    why: dict[str, Any] = {"words": matched_words(text, terms)}
    if highlights:
        why["passage"] = highlights[0]
    if understanding is None:
        return why
    if understanding.places:
        _, names = place_match(understanding, signals)
        if names:
            why["place"] = names
    boosts: dict[str, Any] = {}
    used = features or {}
    if understanding.wants_initiatives and used.get("initiative"):
        boosts["initiative_score"] = round(signals.initiative_score, 3)
    if understanding.wants_qpv and signals.in_qpv == "true":
        boosts["in_qpv"] = True
    if understanding.doc_kinds and signals.doc_kind in understanding.doc_kinds:
        boosts["doc_kind"] = signals.doc_kind
    types = {t: round(signals.type_scores.get(t, 0.0), 3) for t in understanding.types}
    if any(types.values()):
        boosts["types"] = {t: v for t, v in types.items() if v}
    if used.get("prior"):  # added to every hybrid hit, asked or not: an initiative in a QPV ranks higher
        boosts["prior"] = round(used["prior"], 3)
    if boosts:
        why["signals"] = boosts
    return why


def passage_why(text: str, start: int, end: int, cosine: float) -> dict[str, Any]:
    """The `why` entry of a long document matched beyond its head: the passage's span and its first words."""
    excerpt = " ".join(text[start:end].split())
    if len(excerpt) > PASSAGE_EXCERPT_CHARS:
        excerpt = excerpt[:PASSAGE_EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    return {"start": start, "end": end, "cosine": round(cosine, 4), "excerpt": excerpt}
