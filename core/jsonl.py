"""The one JSONL reader: each non-blank line as a record with its number, or a typed error for that line.

Callers keep their own policy (fail on the first bad line, log and skip, report and go on); the reader
never raises for a bad line, so one bad line can be reported without losing the others.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import InputError


@dataclass(frozen=True)
class JsonlRecord:
    """One parsed line: its number (from 1) and its JSON value (of any JSON type)."""

    line: int
    value: Any


@dataclass(frozen=True)
class JsonlError:
    """One line that is not a JSON value: its number, what is wrong (``kind``) and a readable reason."""

    line: int
    kind: str  # "encoding" (invalid UTF-8 or a lone surrogate) or "json"
    reason: str


def _lone_surrogate(value: Any) -> str | None:
    """The first string of ``value`` holding a lone surrogate (from a ``\\ud800`` escape), if any."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                return f"lone surrogate \\u{ord(item[exc.start]):04x} at character {exc.start} of a string"
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def parse_jsonl_line(raw: bytes, number: int) -> JsonlRecord | JsonlError | None:
    """Parse one raw line; None for a blank line."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return JsonlError(number, "encoding", f"invalid UTF-8 at byte {exc.start} ({exc.reason})")
    if number == 1:
        text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        return JsonlError(number, "json", f"not valid JSON ({getattr(exc, 'msg', exc)})")
    if "\\u" in text and (surrogate := _lone_surrogate(value)):
        return JsonlError(number, "encoding", surrogate)
    return JsonlRecord(number, value)


def iter_jsonl(lines: Iterable[bytes]) -> Iterator[JsonlRecord | JsonlError]:
    """Records and errors of raw JSONL lines (a binary file, stdin's buffer, a tar member), blanks skipped."""
    for number, raw in enumerate(lines, start=1):
        parsed = parse_jsonl_line(raw, number)
        if parsed is not None:
            yield parsed


def iter_jsonl_file(path: Path) -> Iterator[JsonlRecord | JsonlError]:
    """Records and errors of a JSONL file; a missing file is an InputError."""
    if not path.is_file():
        raise InputError(f"JSONL file not found: {path}", hint="give the path of an existing .jsonl file")
    with path.open("rb") as handle:
        yield from iter_jsonl(handle)
