"""Highlights computed in our code from the original text, identical on every backend."""

from __future__ import annotations

import html
import re

from search_api.engines.french import analyze_token, iter_words

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
MARK_OPEN, MARK_CLOSE = "<mark>", "</mark>"


def _mark(sentence: str, terms: set[str]) -> tuple[int, str]:
    """Escape a sentence, wrapping the words whose analysed form is a query term."""
    out: list[str] = []
    hits, cursor = 0, 0
    for start, end, word in iter_words(sentence):
        if analyze_token(word) in terms:
            out.append(html.escape(sentence[cursor:start]))
            out.append(MARK_OPEN + html.escape(sentence[start:end]) + MARK_CLOSE)
            cursor = end
            hits += 1
    out.append(html.escape(sentence[cursor:]))
    return hits, "".join(out)


def _clip(sentence: str, max_chars: int) -> str:
    if len(sentence) <= max_chars:
        return sentence
    cut = sentence[:max_chars].rsplit(" ", 1)[0]
    return cut + " …"


def make_highlights(
    text: str, query_terms: list[str], *, max_fragments: int = 3, max_chars: int = 240
) -> list[str]:
    """Up to ``max_fragments`` HTML-escaped passages of ``text`` with matches in ``<mark>``.

    Passages are sentences ranked by how many query terms they hold, then by position.
    """
    terms = set(query_terms)
    if not terms or not text:
        return []
    scored: list[tuple[int, int, str]] = []
    for position, sentence in enumerate(_SENTENCE_END.split(text)):
        sentence = sentence.strip()
        if not sentence:
            continue
        hits, marked = _mark(_clip(sentence, max_chars), terms)
        if hits:
            scored.append((-hits, position, marked))
    scored.sort()
    return [marked for _, _, marked in scored[:max_fragments]]
