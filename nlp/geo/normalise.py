"""Spelling normalisation of place names and a fast tokenizer keeping character offsets."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# words that open or decorate a neighbourhood name without identifying it
ARTICLES = frozenset({"le", "la", "les", "l", "du", "des", "de", "d"})
QUARTIER_WORDS = frozenset(
    {
        "quartier",
        "quartiers",
        "cite",
        "cites",
        "residence",
        "residences",
        "secteur",
        "zus",
        "qpv",
        "ilot",
        "ilots",
        "grand",
        "ensemble",
    }
)
_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "lez": "les",  # "Saint-André-lez-Lille" = "Saint-André-lès-Lille"
    # numbers as words and digits match each other ("Trois Cités" = "3 Cités")
    "deux": "2",
    "trois": "3",
    "quatre": "4",
    "cinq": "5",
    "six": "6",
    "sept": "7",
    "huit": "8",
    "dix": "10",
}
_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "ß": "ss"})


def fold_text(text: str) -> str:
    """Lower-case ASCII form of a text without accents and ligatures (offsets may shift)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return decomposed.encode("ascii", "ignore").decode("ascii").lower()


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Fold one word (``Cœur`` -> ``coeur``) and expand abbreviations (``St`` -> ``saint``)."""
    plain = fold_text(word)
    return _ABBREVIATIONS.get(plain, plain)


def name_tokens(name: str) -> list[str]:
    """Folded tokens of a name: ``Saint-Étienne`` -> ``['saint', 'etienne']``."""
    return [fold(word) for word in _TOKEN_RE.findall(name)]


def name_key(name: str) -> str:
    """The exact lookup key of a name (folded tokens joined by one space)."""
    return " ".join(name_tokens(name))


def strip_decorations(tokens: list[str]) -> list[str]:
    """Drop leading articles and words like "quartier", "cité", "résidence" from a neighbourhood name."""
    start = 0
    while start < len(tokens) - 1 and (tokens[start] in ARTICLES or tokens[start] in QUARTIER_WORDS):
        start += 1
    return tokens[start:]


class Token(NamedTuple):
    """One word of a text: folded form, character span, and whether it was capitalised or a number."""

    norm: str
    start: int
    end: int
    capital: bool


_new_token = tuple.__new__  # skips NamedTuple's Python-level __new__: tokenizing is the hot loop


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into folded word tokens with their character offsets."""
    return [
        _new_token(Token, (fold(word), start, start + len(word), word[0].isupper() or word[0].isdigit()))
        for match in _TOKEN_RE.finditer(text)
        for word, start in ((match.group(), match.start()),)
    ]
