"""The one language detector of Vigie (crawler and analysis): py3langid, a maintained langid.py model."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice
from typing import Any

# Fewer letters than this and the model guesses: say "unknown" (None) rather than a wrong language.
MIN_LETTERS = 40
# Below this normalised probability the guess is unclear (mixed text, lists of names): None. At 0.8
# no seed text cut to 60, 120 or 250 characters comes out other than French (0.5 let 0.6 "en" through).
MIN_PROBABILITY = 0.8
# py3langid reads every byte in a Python loop: its cost grows with the sample. 5,000 characters hold
# every seed and pool text whole, and no shared web page's detected language changes from 20,000 to
# 1,000 characters (docs/crawler.md); the crawler spends half as much on it.
SAMPLE_CHARS = 5_000

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The py3langid model with normalised probabilities (loaded once per process, ~20 ms)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, sample: int = SAMPLE_CHARS) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short or the guess unclear."""
    head = text[:sample]
    if next(islice(_LETTER.finditer(head), MIN_LETTERS - 1, None), None) is None:  # fewer letters
        return None
    lang, probability = _identifier().classify(head)
    return str(lang) if float(probability) >= MIN_PROBABILITY else None
