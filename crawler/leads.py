"""The article's lead (standfirst) that trafilatura drops because of the block it sits in.

Many CMSs mark the lead paragraph of an article with a class of its own: ``teaser`` (TYPO3's news
extension and others; trafilatura takes it for a teaser of another article), ``chapo`` (SPIP's chapô),
``preface``. Such a block is the article's own lead only when it is text rather than links and the
body's first paragraph follows it directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from lxml import etree

# Class names CMSs give the lead block: TYPO3 and others "teaser", SPIP "chapo" (the French chapô),
# others "preface". Matched anywhere in the class attribute, ASCII letters case-folded.
_LEAD_CLASSES = ("teaser", "chapo", "preface")
_LEAD_CLASS = re.compile("|".join(_LEAD_CLASSES), re.IGNORECASE | re.ASCII)  # ASCII letters case-folded
_BODY_ELEMENTS = etree.XPath("//body//*")
_MIN_CHARS, _MAX_CHARS = 40, 1000
_MAX_LINK_SHARE = 0.2
_BODY_PARAGRAPH_CHARS = 80
_MAX_LEADS = 3


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _lead(element: Any) -> tuple[str, str] | None:
    """``(lead, start of the paragraph after it)`` when ``element`` is a text block followed by the body."""
    text = _squeeze(element.text_content())
    if not _MIN_CHARS <= len(text) <= _MAX_CHARS:
        return None
    linked = sum(len(_squeeze(a.text_content())) for a in element.iter("a"))
    if linked > _MAX_LINK_SHARE * len(text):
        return None
    following = element.xpath("following::p")
    body = next((_squeeze(p.text_content()) for p in following[:3] if len(p.text_content()) >= 80), None)
    return (text, body[:_BODY_PARAGRAPH_CHARS]) if body else None


def _body_elements(tree: Any) -> Iterator[Any]:
    """The elements inside the page's ``<body>`` (``//body//*``), in document order. Walked here: the
    XPath and its class strings cost about twice as much. lxml's HTML parser makes one body; should a
    tree hold several (nested), the XPath gives them once each."""
    bodies = list(tree.getroottree().getroot().iter("body"))  # ``//`` starts at the document's root
    if len(bodies) > 1:
        yield from _BODY_ELEMENTS(tree)
    elif bodies:
        yield from bodies[0].iterdescendants(etree.Element)


def find_leads(tree: Any) -> list[tuple[str, str]]:
    """``(lead, start of the paragraph after it)`` for each text block of the page a lead class marks."""
    leads: list[tuple[str, str]] = []
    for element in _body_elements(tree):
        names = element.get("class")
        if not names or not _LEAD_CLASS.search(names):
            continue
        lead = _lead(element)
        if lead and not any(text == lead[0] for text, _ in leads):
            leads.append(lead)
        if len(leads) >= _MAX_LEADS:
            break
    return leads


def with_lead(text: str, leads: list[tuple[str, str]]) -> str:
    """``text`` with the article's lead put back in front, when the body it introduces is there."""
    if not leads:  # most pages: no need to flatten the whole text
        return text
    flat = _squeeze(text)
    for lead, body in leads:
        if body in flat and lead[:_MIN_CHARS] not in flat:
            return f"{lead}\n{text}"
    return text
