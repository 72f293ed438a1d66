"""The page title by agreement: candidates that agree win, else trafilatura's own title.

Candidates (each a rule of ``crawler.rules``): ``og:title``, the article's ``<h1>`` and the
``<title>``, each with the site name stripped. A candidate is supported by every other
candidate that says the same (word overlap, :data:`AGREEMENT`); the best-supported one wins, in that
order of preference (``og:title`` and ``<title>`` saying the same are one vote). When candidates
disagree, nothing is known better than the baseline, so the title is trafilatura's. No rule keys on a
site.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.metadata import get_meta
from crawler.rules import ALL_RULES

log = logging.getLogger(__name__)
# Dice coefficient of two titles' word sets above which they say the same (a reworded or
# shortened headline still agrees; a section name or another article's title does not).
AGREEMENT = 0.6
_SEPARATOR = re.compile(r"\s+[|\-–—:»·•/~]\s+|\s*::\s*")
_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_CHARS = 300
_MAX_H1 = 8
_SITE_NAME_SLACK = 6  # characters a site name may carry beyond its known form ("news", ".ca")
_NOT_SITE_LABELS = {"www", "com", "org", "net", "gov", "edu", "co", "archives", "blog", "blogs", "news"}


@dataclass(frozen=True)
class Title:
    """The chosen title and where it came from (``json-ld``, ``og:title``, ``h1``, ``title``,
    ``trafilatura``)."""

    value: str | None
    source: str


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.casefold()))


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def agree(first: str, second: str, threshold: float = AGREEMENT) -> bool:
    """Whether two titles say the same: Dice coefficient of their word sets at least ``threshold``."""
    a, b = _words(first), _words(second)
    return bool(a and b) and 2 * len(a & b) / (len(a) + len(b)) >= threshold


def site_names(tree: Any, metas: dict[str, str], articles: list[dict[str, Any]], url: str | None) -> set[str]:
    """Squashed names the site goes by: og:site_name, application-name, publisher, host labels."""
    names = {get_meta(metas, "og:site_name"), get_meta(metas, "application-name")}
    names.add((get_meta(metas, "twitter:site") or "").lstrip("@"))
    for item in articles:
        publisher = item.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            names.add(publisher["name"])
    host = urlsplit(url or "").hostname or ""
    labels = host.split(".")[:-1]
    names.update(label for label in labels if len(label) >= 3 and not re.fullmatch(r"www\d*", label))
    squashed = {_squash(name) for name in names if name}
    return {name for name in squashed if len(name) >= 3 and name not in _NOT_SITE_LABELS}


def _is_site_name(part: str, names: set[str]) -> bool:
    """Whether ``part`` is a site name, allowing a short addition ("BBC News", "Radio-Canada.ca")."""
    squashed = _squash(part)
    if not squashed or len(part.split()) > 5:
        return False
    return any(name in squashed and len(squashed) - len(name) <= _SITE_NAME_SLACK for name in names)


def strip_site_name(title: str, names: set[str]) -> str:
    """``title`` without a leading or trailing part that names the site ("Foo | Le Site" -> "Foo")."""
    parts = _SEPARATOR.split(title)
    separators = _SEPARATOR.findall(title)
    start, end = 0, len(parts)
    while end - start > 1 and _is_site_name(parts[end - 1], names):
        end -= 1
    while end - start > 1 and _is_site_name(parts[start], names):
        start += 1
    kept = [parts[start]]
    for index in range(start + 1, end):
        kept.extend((separators[index - 1], parts[index]))
    return "".join(kept).strip()


@dataclass(frozen=True)
class TitleEvidence:
    """The raw title candidates of a page, gathered once; the rules pick from them. trafilatura's own
    title, the fallback, is not among them: it is asked only when no candidate wins (one page in ten)."""

    og_title: str | None
    tag: str | None
    headings: tuple[str, ...]
    names: frozenset[str]


def gather_titles(
    tree: Any, metas: dict[str, str], articles: list[dict[str, Any]], url: str | None
) -> TitleEvidence:
    """Every title candidate of the page: og:title, ``<title>``, ``<h1>``s.

    No JSON-LD headline: it is often cut at 110 characters (a search-engine limit) or holds HTML
    entities, and it never changed a measured title (docs/crawler.md)."""
    headings = tuple(h for h in (_heading_text(h1) for h1 in tree.iter("h1")) if h)
    return TitleEvidence(
        get_meta(metas, "og:title"),
        tree.findtext(".//title"),
        headings[:_MAX_H1],
        frozenset(site_names(tree, metas, articles, url)),
    )


def _heading_text(heading: Any) -> str:
    """The visible words of an ``<h1>``: an inline SVG's ``<title>``/``<desc>`` label a logo or an
    icon ("POLITICO Politico Logo"), not the headline."""
    parts = heading.xpath(".//text()[not(ancestor::*[local-name()='svg'])]")
    return " ".join(" ".join(str(part) for part in parts).split())


def title_candidates(evidence: TitleEvidence, rules: frozenset[str]) -> list[tuple[str, str]]:
    """``(source, title)`` candidates of the enabled rules in order of preference, site name
    stripped, bare site names left out.

    The ``<h1>`` candidate is the first ``<h1>`` that agrees with another candidate (a page's first
    ``<h1>`` is often its logo or another article's teaser), else the page's only ``<h1>``.
    """
    names = set(evidence.names)
    og_title = _cleaned(evidence.og_title, names, rules) if "title.og" in rules else None
    title = _cleaned(evidence.tag, names, rules) if "title.tag" in rules else None
    others = [text for text in (og_title, title) if text]
    candidates = [("og:title", og_title)] if og_title else []
    if "title.h1" in rules:
        headings = [h for h in (_cleaned(h1, names, rules) for h1 in evidence.headings) if h]
        agreeing = [h for h in headings if any(agree(h, other) for other in others)]
        heading = agreeing[0] if agreeing else (headings[0] if len(headings) == 1 else None)
        if heading:
            candidates.append(("h1", heading))
    if title:
        candidates.append(("title", title))
    return candidates


def is_title_like(evidence: TitleEvidence) -> Callable[[str], bool]:
    """Whether a text agrees with one of the page's declared titles (to find the article's ``<h1>``)."""
    titles = [t for t in (evidence.og_title, evidence.tag) if t]
    names = set(evidence.names)
    cleaned = [c for c in (_cleaned(t, names, ALL_RULES) for t in titles) if c]
    return lambda text: any(agree(text, title) for title in cleaned)


def _cleaned(value: str | None, names: set[str], rules: frozenset[str]) -> str | None:
    text = " ".join((value or "").split())
    if "title.site_name" in rules:
        text = strip_site_name(text, names)
    if not text or len(text) > _MAX_CHARS or (names and _is_site_name(text, names)):
        return None
    return text


def choose_title(
    candidates: list[tuple[str, str]],
    fallback: Callable[[], str | None],
    threshold: float = AGREEMENT,
    *,
    bare: bool = True,
) -> Title:
    """The candidate most others agree with (first in order on a tie); none agree: ``fallback()``
    (called only then: trafilatura's title costs about 1 ms per page).

    A CMS fills ``og:title`` and the ``<title>`` from one field, so the same text in both is one
    piece of evidence, not an agreement. A single piece of evidence is taken, unless it is the bare
    ``<title>`` (which keeps a site's or section's name in forms we cannot strip; ``fallback``
    splits it better). ``bare`` (rule ``title.site_name``): when the winner is another candidate plus a
    separated part ("Foo - Full Text View", "Foo | CBC News" beside "Foo"), that other candidate wins.
    """
    sources = dict(candidates)
    if sources.get("og:title") is not None and sources.get("og:title") == sources.get("title"):
        candidates = [candidate for candidate in candidates if candidate[0] != "title"]
    support = [
        sum(agree(text, other, threshold) for j, (_, other) in enumerate(candidates) if j != i)
        for i, (_, text) in enumerate(candidates)
    ]
    if support and max(support) > 0:
        source, text = candidates[support.index(max(support))]
        if bare:
            source, text = _bare_form((source, text), candidates)
        return Title(text, source)
    if len(candidates) == 1 and candidates[0][0] != "title":
        return Title(candidates[0][1], candidates[0][0])
    title = " ".join((fallback() or "").split()) or None
    return Title(title, "trafilatura" if title else "")


def _bare_form(chosen: tuple[str, str], candidates: list[tuple[str, str]]) -> tuple[str, str]:
    """The shortest candidate that ``chosen`` extends by separated parts, else ``chosen``."""
    shorter = [
        (source, text)
        for source, text in candidates
        if len(text) < len(chosen[1])
        and chosen[1].startswith(text)
        and _SEPARATOR.match(chosen[1], len(text))
    ]
    return min(shorter, key=lambda candidate: len(candidate[1])) if shorter else chosen


def trafilatura_title(tree: Any) -> str | None:
    """trafilatura's own title (meta tags, JSON-LD, its ``<h1>``/``<title>`` heuristics); no date search."""
    from trafilatura.metadata import examine_meta, extract_meta_json, extract_title

    try:
        metadata = extract_meta_json(tree, examine_meta(tree))
        return metadata.title or extract_title(tree)
    except (ValueError, TypeError, AttributeError) as exc:  # third-party heuristics on odd markup
        log.debug("trafilatura title failed error=%s", exc)
        return None
