"""Limits of stored input and the checks every input line goes through (ids, text, encoding).

`MAX_TEXT_CHARS` is the documented cap on a stored page text: longer texts are cut there (a 50 MB text
stored whole made every search hitting it spend 20 s highlighting). Ids are 1 to `MAX_DOC_ID_CHARS`
characters, the width of every id column and of the index's id field.
"""

from __future__ import annotations

import re
from typing import Any

MAX_TEXT_CHARS = 1_000_000
MAX_DOC_ID_CHARS = 64
MAX_LINE_BYTES = 64 * 1024 * 1024  # one JSONL line; longer lines are reported, not parsed
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def cap_text(text: str) -> str:
    """The text cut at `MAX_TEXT_CHARS` characters."""
    return text if len(text) <= MAX_TEXT_CHARS else text[:MAX_TEXT_CHARS]


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def find_line_problem(data: Any) -> str | None:
    """Why a decoded JSON line cannot be used as an input item (None when it can).

    Checks the ``id`` (a string of 1 to 64 characters without control characters) and that no
    string holds a lone surrogate (JSON allows ``"\\ud800"``; UTF-8 cannot store it).
    """
    if not isinstance(data, dict):
        return f"expected a JSON object, got {type(data).__name__}"
    doc_id = data.get("id")
    if not isinstance(doc_id, str) or not doc_id.strip():
        return "missing or empty 'id' (a string)"
    if len(doc_id) > MAX_DOC_ID_CHARS:
        return f"id of {len(doc_id)} characters (at most {MAX_DOC_ID_CHARS}): {doc_id[:40]!r}…"
    if _CONTROL.search(doc_id):
        return f"id {doc_id!r} holds control characters"
    for text in _strings(data):
        match = _SURROGATE.search(text)
        if match:
            return f"lone surrogate \\u{ord(match.group()):04x} in a string (not valid Unicode text)"
    return None
