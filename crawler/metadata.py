"""Page metadata from structured data and markup: JSON-LD, meta tags, microdata, htmldate."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import htmldate.extractors
from dateparser import DateDataParser
from htmldate import find_date
from lxml import etree

from crawler.dates import day_of, headline_date
from crawler.rules import ALL_RULES

log = logging.getLogger(__name__)
_META_DATES = (  # declared publication dates
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "dc.date.issued",
    "dcterms.created",
    "pubdate",
    "publishdate",
    "sailthru.date",
    "parsely-pub-date",
)


def iter_jsonld(tree: Any) -> list[dict[str, Any]]:
    """Every JSON-LD object of the page, graphs flattened."""
    found: list[dict[str, Any]] = []
    for node in tree.xpath('//script[@type="application/ld+json"]/text()'):
        try:
            data = json.loads(node)
        except (json.JSONDecodeError, TypeError):
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
            elif isinstance(item, list):
                stack.extend(item)
    return found


def is_article(item: dict[str, Any]) -> bool:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and ("Article" in k or k in ("BlogPosting", "Report")) for k in kinds)


def person_name(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (person_name(v) for v in value) if n]
        return ", ".join(names) if names else None
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, str) and value.strip() and not value.startswith("http"):
        return value.strip()
    return None


def meta_index(tree: Any) -> dict[str, str]:
    """``<meta>`` contents by lower-cased property/name/itemprop, first non-empty value kept."""
    index: dict[str, str] = {}
    for element in tree.iter("meta"):
        content = (element.get("content") or element.get("value") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = (element.get(attr) or "").strip().lower()
            if key:
                index.setdefault(key, content)
    return index


def get_meta(index: dict[str, str], *names: str) -> str | None:
    return next((index[name.lower()] for name in names if name.lower() in index), None)


# The languages whose written dates htmldate's last resort (dateparser) reads: those of the shared web
# pages (docs/crawler.md). dateparser would otherwise try its 205 locales, compiling regular
# expressions for each on first use: about 2.7 s of CPU per extraction process, for three strings over
# the 111 shared pages. A date written in words in another language is left to the other candidates.
DATE_LANGUAGES = ("fr", "en", "de", "es", "it", "pt", "cs", "fi", "nb")


@lru_cache(maxsize=1)
def _date_parser() -> DateDataParser:
    """htmldate's dateparser (same settings, htmldate 1.11.0) restricted to ``DATE_LANGUAGES``."""
    settings = {
        "NORMALIZE": True,
        "PARSERS": ["custom-formats", "absolute-time"],
        "PREFER_DATES_FROM": "past",
        "PREFER_LOCALE_DATE_ORDER": True,
        "RETURN_AS_TIMEZONE_AWARE": False,
        "STRICT_PARSING": True,
    }
    return DateDataParser(languages=list(DATE_LANGUAGES), settings=settings)


_htmldate_parser = (
    htmldate.extractors.get_external_parser
)  # all locales (compared in tests/crawler/test_dates.py)
htmldate.extractors.get_external_parser = _date_parser  # read by htmldate's ``_external_date`` at each call

DateCandidate = tuple[str, str, str]  # (rule of crawler.rules, "" for htmldate; source shown; day)


def date_candidates(
    tree: Any, metas: dict[str, str], url: str | None, is_title: Callable[[str], bool], complete: bool = False
) -> list[DateCandidate]:
    """Every rule's day candidate, in order of preference, and htmldate's extensive search last.

    htmldate already reads JSON-LD, microdata, ``<time>``, the URL and the page's text; the rules add
    what it does not weigh: a declared publication meta, and the date line under the headline. When
    the rules' candidates all give the same day, htmldate's one vote cannot change it and is not asked
    (half of the extraction's CPU); ``complete`` asks it anyway, for an evaluation that switches rules off.
    """
    found = [
        ("date.meta", "meta", day_of(get_meta(metas, *_META_DATES))),
        ("date.headline", "headline", headline_date(tree, is_title)),
    ]
    cheap = [(rule, source, day) for rule, source, day in found if day]
    if complete or len({day for _, _, day in cheap}) != 1:
        found.append(("", "htmldate", _htmldate(tree, url)))
    return [(rule, source, day) for rule, source, day in found if day]


def choose_date(candidates: list[DateCandidate], rules: frozenset[str] = ALL_RULES) -> tuple[str | None, str]:
    """The day most candidates of the enabled rules give (one vote each; htmldate always votes), the
    first in order of preference on a tie; with where it came from."""
    enabled = [(source, day) for rule, source, day in candidates if not rule or rule in rules]
    if not enabled:
        return None, ""
    votes = Counter(day for _, day in enabled)
    best = max(votes.values())
    return next((day, source) for source, day in enabled if votes[day] == best)


def _htmldate(tree: Any, url: str | None) -> str | None:
    try:
        found = find_date(tree, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError, etree.LxmlError) as exc:
        log.debug("htmldate failed url=%s error=%s", url, exc)
        return None
    return str(found) if found else None


def canonical_link(tree: Any, metas: dict[str, str], url: str | None) -> str | None:
    values = tree.xpath('//link[translate(@rel, "CANONICAL", "canonical")="canonical"]/@href')
    value = values[0].strip() if values else get_meta(metas, "og:url")
    if not value:
        return None
    absolute = urljoin(url or "", value)
    return absolute if absolute.startswith(("http://", "https://")) else None
