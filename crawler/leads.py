"""The article's lead (standfirst) that trafilatura drops because its block is marked as a teaser.

Many CMSs (TYPO3's news extension among them) mark the lead paragraph of an article with a ``teaser``
class, which trafilatura treats as a teaser of another article. A teaser block is the article's own
lead only when it is text rather than links and the body's first paragraph follows it directly.
"""

from __future__ import annotations

from typing import Any

_LEAD_XPATH = "//body//*[contains(translate(@class, 'TEASR', 'teasr'), 'teaser')]"
_MIN_CHARS, _MAX_CHARS = 40, 1000
_MAX_LINK_SHARE = 0.2
_BODY_PARAGRAPH_CHARS = 80
_MAX_LEADS = 3


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def find_leads(tree: Any) -> list[tuple[str, str]]:
    """``(lead, start of the paragraph after it)`` for each teaser-marked text block of the page."""
    leads: list[tuple[str, str]] = []
    for element in tree.xpath(_LEAD_XPATH):
        text = _squeeze(element.text_content())
        if not _MIN_CHARS <= len(text) <= _MAX_CHARS:
            continue
        linked = sum(len(_squeeze(a.text_content())) for a in element.iter("a"))
        if linked > _MAX_LINK_SHARE * len(text):
            continue
        following = element.xpath("following::p")
        body = next((_squeeze(p.text_content()) for p in following[:3] if len(p.text_content()) >= 80), None)
        if body and not any(lead == text for lead, _ in leads):
            leads.append((text, body[:_BODY_PARAGRAPH_CHARS]))
        if len(leads) >= _MAX_LEADS:
            break
    return leads


def with_lead(text: str, leads: list[tuple[str, str]]) -> str:
    """``text`` with the article's lead put back in front, when the body it introduces is there."""
    flat = _squeeze(text)
    for lead, body in leads:
        if body in flat and lead[:_MIN_CHARS] not in flat:
            return f"{lead}\n{text}"
    return text
