"""French text analysis done in our own code, so both backends index and match the same terms.

Elision, accent folding, stop words (core.stopwords) and Snowball stemming (PyStemmer) run here; the
engines only split the analysed text on whitespace. This works on the Elasticsearch test distribution,
which lacks the `analysis-common` module (no `french` analyzer, no `asciifolding` filter).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import Stemmer

from core.stopwords import FRENCH_STOP_WORDS

_WORD = re.compile(r"[a-z0-9]+")
_SPAN = re.compile(r"[^\W_]+")

# The Snowball French stemmer (PyStemmer), the algorithm of tantivy's and Lucene's French stemmers.
# Its objects are not thread-safe, and the API analyses queries in worker threads: one per thread.
_STEMMERS = threading.local()


_COMBINING = re.compile("[\u0300-\u036f]+")
_LIGATURES = {"œ": "oe", "æ": "ae", "ß": "ss"}


def fold(text: str) -> str:
    """Lower-case and strip accents ("Économie sociale" -> "economie sociale")."""
    text = text.lower()
    if text.isascii():
        return text
    for ligature, letters in _LIGATURES.items():
        if ligature in text:
            text = text.replace(ligature, letters)
    return _COMBINING.sub("", unicodedata.normalize("NFKD", text))


def stem(word: str) -> str:
    """Snowball French stem of a folded word ("quartiers" -> "quarti", "solidaires" -> "solidair")."""
    stemmer = getattr(_STEMMERS, "french", None)
    if stemmer is None:
        stemmer = _STEMMERS.french = Stemmer.Stemmer("french")
    result: str = stemmer.stemWord(word)
    return result


def iter_words(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, folded_word)`` for each word, with offsets in the original text."""
    for match in _SPAN.finditer(text):
        span = match.group()
        if span.isascii():  # an ASCII run of letters and digits is one word: skip folding (hits' text)
            yield match.start(), match.end(), span.lower()
            continue
        for word in _WORD.findall(fold(span)):
            yield match.start(), match.end(), word


@lru_cache(maxsize=300_000)
def analyze_token(word: str) -> str | None:
    """Analyse one folded word: ``None`` for a stop word, else its stem."""
    if word in FRENCH_STOP_WORDS:
        return None
    return stem(word)


def analyze(text: str | None) -> list[str]:
    """Terms of a text, in order: folded, elisions and stop words removed, stemmed."""
    if not text:
        return []
    terms = []
    for word in _WORD.findall(fold(text)):
        term = analyze_token(word)
        if term:
            terms.append(term)
    return terms


def analyze_to_string(text: str | None) -> str:
    """Analysed terms joined by spaces: what the engines index in their whitespace-split fields."""
    return " ".join(analyze(text))
