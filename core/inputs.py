"""Limits of stored input and the checks every input line goes through (ids, text, encoding).

`MAX_TEXT_CHARS` is the documented cap on a stored page text: longer texts are cut there (a 50 MB text
stored whole made every search hitting it spend 20 s highlighting). Ids are 1 to `MAX_DOC_ID_CHARS`
characters, the width of every id column and of the index's id field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from core.jsonl import JsonlError, parse_jsonl_line

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


@dataclass(frozen=True)
class InputLine:
    """A usable input line: its number (from 1) and its object (text capped, ``_line`` added)."""

    line: int
    data: dict[str, Any]


@dataclass(frozen=True)
class BadLine:
    """A line that cannot be used: its number, its id when it has a readable one, and why."""

    line: int
    doc_id: str | None
    reason: str


def iter_input_lines(lines: Iterable[bytes]) -> Iterator[InputLine | BadLine]:
    """Input items of raw JSONL lines, in order; bad lines come back as `BadLine` (never raise).

    A line is bad when it is longer than `MAX_LINE_BYTES`, not UTF-8 or not JSON (`core.jsonl`), fails
    `find_line_problem` (not an object, no usable id, a lone surrogate) or repeats the id of an earlier
    line. Blank lines are skipped; texts are cut at `MAX_TEXT_CHARS`.
    """
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        if len(raw) > MAX_LINE_BYTES:
            yield BadLine(number, None, f"line of {len(raw)} bytes (at most {MAX_LINE_BYTES})")
            continue
        parsed = parse_jsonl_line(raw, number)
        if parsed is None:
            continue
        if isinstance(parsed, JsonlError):
            yield BadLine(number, None, parsed.reason)
            continue
        data = parsed.value
        problem = find_line_problem(data)
        if problem is None and data["id"] in seen:
            problem = f"duplicate id {data['id']!r} (first on line {seen[data['id']]}): line skipped"
        if problem is not None:
            doc_id = data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None
            yield BadLine(number, doc_id if doc_id and len(doc_id) <= MAX_DOC_ID_CHARS else None, problem)
            continue
        seen[data["id"]] = number
        if isinstance(data.get("text"), str):
            data["text"] = cap_text(data["text"])
        yield InputLine(number, data | {"_line": number})
