"""Publication-date evidence: day parsing and the date line under the headline.

General rules only (no per-site code); a date after tomorrow is a typo or a scheduled event, never a
publication date. htmldate does the page-wide search (``crawler.metadata``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "janvier january januar enero gennaio jänner jan",
            "février fevrier february februar febrero febbraio feb",
            "mars march märz marzo mar",
            "avril april abril aprile apr",
            "mai may mayo maggio",
            "juin june juni junio giugno jun",
            "juillet july juli julio luglio jul",
            "août aout august agosto aug",
            "septembre september septiembre settembre sep sept",
            "octobre october oktober octubre ottobre oct okt",
            "novembre november noviembre nov",
            "décembre decembre december dezember diciembre dicembre dec dez",
        ),
        start=1,
    )
    for name in names.split()
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_NUMERIC_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})(?!\d)")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?!\d)")
_TEXT_DMY = re.compile(rf"^(\d{{1,2}})(?:er)?\.?\s+({_MONTH})\.?\s+(?:de\s+)?(\d{{4}})\b", re.IGNORECASE)
_TEXT_MDY = re.compile(rf"^({_MONTH})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})\b", re.IGNORECASE)


def day_of(value: str | None) -> str | None:
    """The ``YYYY-MM-DD`` of a date string that starts with one, if plausible (1990 to today)."""
    if not value:
        return None
    match = _ISO.match(value.strip())
    return _checked(int(match.group(1)), int(match.group(2)), int(match.group(3))) if match else None


def _checked(year: int, month: int, day: int) -> str | None:
    """An ISO day if it exists and is not after tomorrow (time zones), else ``None``."""
    try:
        found = dt.date(year, month, day)
    except ValueError:
        return None
    if found.year < 1990 or found > dt.date.today() + dt.timedelta(days=1):
        return None
    return found.isoformat()


def parse_day(text: str) -> str | None:
    """A day written at the start of ``text``: 18.10.2021, 18/10/2021, 2021-10-18, 18 octobre 2021,
    18. Oktober 2021, October 18, 2021 (day first for numeric forms, as in European pages)."""
    text = text.strip()
    if match := _ISO.match(text):
        return _checked(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := _NUMERIC_DMY.match(text):
        return _checked(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    if match := _TEXT_DMY.match(text):
        return _checked(int(match.group(3)), _MONTHS[match.group(2).lower()], int(match.group(1)))
    if match := _TEXT_MDY.match(text):
        return _checked(int(match.group(3)), _MONTHS[match.group(1).lower()], int(match.group(2)))
    return None


_DATE_START = re.compile(
    rf"(?<![\d.])(?:\d{{1,2}}[./]\d{{1,2}}[./]\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}(?:er)?\.?\s+(?:{_MONTH})"
    rf"|(?:{_MONTH})\.?\s+\d{{1,2}},)",
    re.IGNORECASE,
)
_HEADLINE_WINDOW_CHARS = 300  # text read after the headline: the date line, never the body


def headline_date(tree: Any, is_title: Callable[[str], bool]) -> str | None:
    """The first day written in the short stretch of text right after the article's ``<h1>`` (the
    first one ``is_title`` accepts, else the page's only one): the date line under the title."""
    headings = [h for h in tree.iter("h1") if h.text_content().strip()]
    chosen = [h for h in headings if is_title(" ".join(h.text_content().split()))]
    heading = chosen[0] if chosen else (headings[0] if len(headings) == 1 else None)
    if heading is None:
        return None
    read = 0
    for node in following_texts(heading):
        text = " ".join(node.split())
        if not text:
            continue
        for match in _DATE_START.finditer(text):
            day = parse_day(text[match.start() :])
            if day:
                return day
        read += len(text)
        if read > _HEADLINE_WINDOW_CHARS:
            return None
    return None


_NOT_READ = frozenset({"script", "style"})


def following_texts(element: Any) -> Iterator[str]:
    """The text nodes after ``element`` in document order, outside it and not in a script or style:
    ``following::text()[not(parent::script) and not(parent::style)]``, read lazily (the XPath builds
    the whole list, about 1.5 ms per page, for the few nodes the date line needs)."""
    node = element
    while node is not None:
        parent = node.getparent()
        parent_tag = None if parent is None else parent.tag
        if node.tail and parent_tag not in _NOT_READ:
            yield node.tail
        for sibling in node.itersiblings():
            yield from _subtree_texts(sibling)
            if sibling.tail and parent_tag not in _NOT_READ:
                yield sibling.tail
        node = parent


def _subtree_texts(element: Any) -> Iterator[str]:
    """The text nodes inside ``element`` in document order (a comment's own text is not a text node)."""
    if element.text and isinstance(element.tag, str) and element.tag not in _NOT_READ:
        yield element.text
    for child in element:
        yield from _subtree_texts(child)
        if child.tail and element.tag not in _NOT_READ:
            yield child.tail
