"""The one language detector of Vigie (crawler and analysis): py3langid, a maintained langid.py model."""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice
from typing import Any

import numpy as np

# Fewer letters than this and the model guesses: say "unknown" (None) rather than a wrong language.
MIN_LETTERS = 40
# Below this normalised probability the guess is unclear (mixed text, lists of names): None. At 0.8
# no seed text cut to 60, 120 or 250 characters comes out other than French (0.5 let 0.6 "en" through).
MIN_PROBABILITY = 0.8
# py3langid's scoring cost grows with the sample. 5,000 characters hold every seed and pool text whole,
# and no shared web page's detected language changes from 20,000 to 1,000 characters (docs/crawler.md).
SAMPLE_CHARS = 5_000

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
# The longest byte string py3langid 0.4.0's tokeniser matches (tests/core/test_language.py walks its
# automaton breadth-first: 1 s per process, hence written here).
AUTOMATON_DEPTH = 6


@lru_cache(maxsize=1)
def _identifier() -> Any:
    """The py3langid model with normalised probabilities (loaded once per process, 0.7 s of CPU: the
    crawler loads it before forking its workers), scoring the features of py3langid's own byte-by-byte
    walk with a few array passes."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    class ArrayWalkIdentifier(LanguageIdentifier):  # type: ignore[misc]  # py3langid is untyped
        """py3langid 0.4.0's identifier. Its tokeniser is an Aho-Corasick automaton: the state after a
        byte is that of the longest suffix of the text read that the automaton knows, at most
        ``AUTOMATON_DEPTH`` bytes long, so the state at every position is the walk from the root over
        the ``AUTOMATON_DEPTH`` bytes ending there: that many array lookups over the whole text instead
        of a Python step per byte. Same features, in the same order (first occurrence, as py3langid's
        ``Counter``), same scores to the bit (tests/core/test_language.py)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._nextmove = np.frombuffer(self.tk_nextmove, dtype=np.uint32)  # a view: no copy
            self._rowbase_array = np.asarray(self._rowbase, dtype=np.intp)
            self._output = np.asarray(self.tk_output, dtype=np.intp)

        def _raw_score(self, text: bytes) -> Any:
            data = np.frombuffer(text, dtype=np.uint8)
            states = np.zeros(len(data), dtype=np.intp)
            for back in range(min(AUTOMATON_DEPTH, len(data)) - 1, -1, -1):  # byte i - back of each window
                states[back:] = self._nextmove[self._rowbase_array[states[back:]] + data[: len(data) - back]]
            features = self._output[states]
            features = features[features >= 0]
            if not len(features):
                return super()._raw_score(text)  # no feature: py3langid's own floor
            found, first, counts = np.unique(features, return_index=True, return_counts=True)
            order = np.argsort(first, kind="stable")
            visits = dict(zip(found[order].tolist(), counts[order].tolist(), strict=True))
            return self._sparse_score(visits, self.nb_ptc)

        def _sparse_score(self, visits: dict[int, int], table: Any) -> Any:
            # py3langid's product, with the float16 rows gathered by ``take`` and widened before it (the
            # widening numpy does anyway): the same sums, a third less time.
            rows = np.fromiter(visits.keys(), dtype=np.intp, count=len(visits))
            counts = np.fromiter(visits.values(), dtype=np.float32, count=len(visits))
            return np.log1p(counts) @ table.take(rows, axis=0).astype(np.float32) + self.nb_pc

    return ArrayWalkIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def load_language_model() -> None:
    """Load the model now: a process about to fork workers loads it once for all of them."""
    _identifier()


def detect_language(text: str, sample: int = SAMPLE_CHARS) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short or the guess unclear."""
    head = text[:sample]
    if next(islice(_LETTER.finditer(head), MIN_LETTERS - 1, None), None) is None:  # fewer letters
        return None
    lang, probability = _identifier().classify(head)
    return str(lang) if float(probability) >= MIN_PROBABILITY else None
