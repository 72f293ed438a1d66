"""A small stop-word language guesser for the languages our sources use (no model download needed)."""

from __future__ import annotations

import re
from collections import Counter

_STOPWORD_TEXT: dict[str, str] = {
    "fr": "le la les des du de un une et est dans pour que qui sur au aux avec pas par ce cette "
    "sont ont être plus il elle nous vous leur leurs ses mais ou où",
    "en": "the and of to in is that for it with as was on are by this be from at have not "
    "they which or an has were their been will would",
    "de": "der die das und ist nicht ein eine mit von den zu im auf für sich dem des auch "
    "es wird sie wir werden bei aus nach oder",
    "es": "el la los las de del y en que un una por con para es se al lo como más pero sus "
    "está son también fue",
    "it": "il la di che e un una per con non sono gli del della le nel alla anche come più è questo ma stato",
    "pt": "o a os as de do da dos das e em um uma para com não que por mais como ao se é foi são também",
}
_STOPWORDS = {lang: frozenset(text.split()) for lang, text in _STOPWORD_TEXT.items()}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def detect_language(text: str, sample: int = 4000) -> str | None:
    """ISO 639-1 code of the text's language, or None when too short or unclear."""
    words = [w.lower() for w in _WORD.findall(text[:sample])]
    if len(words) < 20:
        return None
    counts = Counter(words)
    scores = {lang: sum(counts[w] for w in stops) for lang, stops in _STOPWORDS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    if scores[best] < max(3, len(words) // 50):
        return None
    return best
