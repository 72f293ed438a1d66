"""French text analysis done in our own code, so both backends index and match the same terms.

Elision, accent folding, stop words and a light stemmer run here; the engines only split the
analysed text on whitespace. This works on the Elasticsearch test distribution, which lacks the
`analysis-common` module (no `french` analyzer, no `asciifolding` filter).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+")
_SPAN = re.compile(r"[^\W_]+")

# Elided articles and pronouns ("l'", "qu'", "jusqu'") fall out as short tokens listed here.
STOP_WORDS: frozenset[str] = frozenset(
    [
        "a",
        "ai",
        "aie",
        "aient",
        "aies",
        "ait",
        "as",
        "au",
        "aux",
        "avaient",
        "avais",
        "avait",
        "avec",
        "avez",
        "aviez",
        "avions",
        "avons",
        "ayant",
        "c",
        "ce",
        "ceci",
        "cela",
        "celle",
        "celles",
        "celui",
        "ces",
        "cet",
        "cette",
        "ceux",
        "chez",
        "comme",
        "d",
        "dans",
        "de",
        "des",
        "donc",
        "dont",
        "du",
        "elle",
        "elles",
        "en",
        "entre",
        "es",
        "est",
        "et",
        "etaient",
        "etais",
        "etait",
        "etant",
        "etre",
        "eu",
        "eux",
        "fait",
        "faut",
        "il",
        "ils",
        "j",
        "je",
        "jusqu",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "lorsqu",
        "lui",
        "m",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "n",
        "ne",
        "ni",
        "nos",
        "notre",
        "nous",
        "on",
        "ont",
        "ou",
        "par",
        "pas",
        "peu",
        "pour",
        "puisqu",
        "qu",
        "quand",
        "que",
        "quel",
        "quelle",
        "quelles",
        "quels",
        "qui",
        "quoiqu",
        "s",
        "sa",
        "sans",
        "se",
        "ses",
        "si",
        "son",
        "sont",
        "sous",
        "sur",
        "t",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tous",
        "tout",
        "toute",
        "toutes",
        "tu",
        "un",
        "une",
        "unes",
        "uns",
        "vers",
        "vos",
        "votre",
        "vous",
        "y",
        "plus",
        "tres",
        "aussi",
        "ainsi",
        "alors",
        "apres",
        "avant",
        "bien",
        "ici",
        "la",
        "leur",
    ]
)

# (suffix, replacement) tried in order after plural removal; keeps stems readable and short.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("issements", "iss"),
    ("issement", "iss"),
    ("atrices", "ateur"),
    ("atrice", "ateur"),
    ("ations", "ation"),
    ("euses", "eur"),
    ("euse", "eur"),
    ("ives", "if"),
    ("ive", "if"),
    ("elles", "el"),
    ("elle", "el"),
    ("iennes", "ien"),
    ("ienne", "ien"),
    ("ettes", "et"),
    ("ette", "et"),
    ("eres", "er"),
    ("ere", "er"),
)


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
    """Light French stemmer: plurals, feminine and a few derivational endings."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("aux") and len(word) > 5:
        word = word[:-3] + "al"
    elif word.endswith(("s", "x")) and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + replacement
            break
    if word.endswith("ee") and len(word) > 4:
        word = word[:-1]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1].isalpha():
        word = word[:-1]
    return word


def iter_words(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, folded_word)`` for each word, with offsets in the original text."""
    for match in _SPAN.finditer(text):
        for word in _WORD.findall(fold(match.group())):
            yield match.start(), match.end(), word


@lru_cache(maxsize=300_000)
def analyze_token(word: str) -> str | None:
    """Analyse one folded word: ``None`` for a stop word, else its stem."""
    if word in STOP_WORDS:
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
