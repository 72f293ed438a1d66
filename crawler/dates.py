"""Publication-date evidence found in the page body: the article's own ``<time>``, labelled dates.

General rules only (no per-site code): a date shown in a teaser, a related-articles block, a comment
or a navigation area belongs to another document; a modification date is not a publication date; a
date after today is a typo or a scheduled event, never a publication date.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_NOT_THIS_ARTICLE = re.compile(
    r"related|teaser|recommend|similar|sidebar|widget|comment|feed|carousel|promo|popular|"
    r"aside|footer|\bnav|menu|breadcrumb|most-read|more-articles",
    re.IGNORECASE,
)
_MODIFIED = re.compile(r"modif|update|revis|änder|actualis", re.IGNORECASE)
_MAIN_CONTAINER = "ancestor::article or ancestor::main or ancestor::*[contains(@itemtype, 'Article')]"
_LABEL = re.compile(
    r"\b(?:publi[ée]e?\s+le|date\s+de\s+publication|mis\s+en\s+ligne\s+le|datum\s*:|"
    r"ver[öo]ffentlicht(?:\s+am)?|erschienen\s+am|published(?:\s+on)?|posted(?:\s+on)?|"
    r"fecha\s+de\s+publicaci[óo]n|publicado(?:\s+el)?|pubblicato(?:\s+il)?)\s*:?\s*",
    re.IGNORECASE,
)
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


def _in_other_block(element: Any) -> bool:
    """Whether the element sits in a teaser, related-articles, comment or navigation block."""
    for node in (element, *element.iterancestors()):
        if node.tag in ("body", "html"):  # page-wide classes ("no-sidebars") say nothing of the block
            return False
        if node.tag in ("aside", "nav", "footer"):
            return True
        marks = f"{node.get('class') or ''} {node.get('id') or ''}"
        if _NOT_THIS_ARTICLE.search(marks):
            return True
    return False


def article_time(tree: Any) -> str | None:
    """The day of the article's own ``<time datetime>``: the only day among the page's ``<time>``
    elements outside teasers and other blocks (those in the main article when it is marked up),
    modification stamps and dates in running text, lists or tables (events, deadlines) left out.
    Several days: ambiguous, ``None``."""
    candidates = [
        element
        for element in tree.xpath("//time[@datetime][not(ancestor::p or ancestor::li or ancestor::td)]")
        if not _MODIFIED.search(f"{element.get('itemprop') or ''} {element.get('class') or ''}")
        and not _in_other_block(element)
    ]
    inside = [element for element in candidates if element.xpath(_MAIN_CONTAINER)]
    days = {d for d in (day_of(element.get("datetime")) for element in inside or candidates) if d}
    return days.pop() if len(days) == 1 else None


def labelled_date(tree: Any) -> str | None:
    """A day written right after a publication label ("Publié le", "Datum :", "Published on"…),
    outside teasers and other blocks; the first one in document order."""
    nodes = tree.xpath("//body//text()[not(parent::script) and not(parent::style)]")
    for index, node in enumerate(nodes):
        if len(node) > 400 or not _LABEL.search(node):  # cheap test first: most nodes hold no label
            continue
        text = " ".join(str(node).split())
        for match in _LABEL.finditer(text):
            tail = text[match.end() :]
            following = " ".join(" ".join(str(n).split()) for n in nodes[index + 1 : index + 3])
            day = parse_day(tail) if tail.strip() else parse_day(following)
            parent = node.getparent()
            if day and parent is not None and not _in_other_block(parent):
                return day
    return None
