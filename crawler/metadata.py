"""Page metadata from structured data and markup: JSON-LD, meta tags, microdata, htmldate, titles."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from typing import Any
from urllib.parse import urljoin

from htmldate import find_date
from lxml import etree

from crawler.dates import article_time, day_of, labelled_date

log = logging.getLogger(__name__)
_DATE_KEYS = ("datePublished", "dateCreated", "uploadDate")
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
_WEAK_META_DATES = ("date", "dc.date")  # often the last modification or indexing date
_WEAK_DATE_WINDOW_DAYS = 30


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


def _structured_date(
    tree: Any, metas: dict[str, str], articles: list[dict[str, Any]]
) -> tuple[str | None, str]:
    for item in articles:
        for key in _DATE_KEYS:
            day = day_of(item.get(key) if isinstance(item.get(key), str) else None)
            if day:
                return day, "json-ld"
    day = day_of(get_meta(metas, *_META_DATES))
    if day:
        return day, "meta"
    values = tree.xpath(
        "//time[@itemprop='datePublished']/@datetime | //*[@itemprop='datePublished']/@content"
    )
    days = {d for d in (day_of(v) for v in values) if d}
    if len(days) == 1:  # several: teasers of other articles carry theirs too
        return days.pop(), "microdata"
    day = article_time(tree)
    if day:
        return day, "time"
    day = day_of(get_meta(metas, *_WEAK_META_DATES))
    return (day, "meta-weak") if day else (None, "")


def find_publication_date(
    tree: Any, metas: dict[str, str], articles: list[dict[str, Any]], url: str | None
) -> tuple[str | None, str]:
    """Publication day: JSON-LD / meta when declared, else htmldate's original-date search."""
    day, origin = _structured_date(tree, metas, articles)
    if day and origin != "meta-weak":
        return day, origin
    if day:  # a generic `date` meta: an earlier date shown in the page is the publication date
        for element in tree.iter("meta"):
            if (element.get("name") or "").lower() in _WEAK_META_DATES:
                element.drop_tree()
        found = _htmldate(tree, url)
        if (
            found
            and 0 < (dt.date.fromisoformat(day) - dt.date.fromisoformat(found)).days <= _WEAK_DATE_WINDOW_DAYS
        ):
            return found, "htmldate"
        return day, "meta"
    day = labelled_date(tree)
    if day:
        return day, "label"
    found = _htmldate(tree, url)
    return (found, "htmldate") if found else (None, "")


def _htmldate(tree: Any, url: str | None) -> str | None:
    try:
        found = find_date(tree, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError, etree.LxmlError) as exc:
        log.debug("htmldate failed url=%s error=%s", url, exc)
        return None
    return str(found) if found else None


def choose_title(articles: list[dict[str, Any]], og_title: str | None, fallback: str | None) -> str | None:
    for item in articles:
        headline = item.get("headline")
        if isinstance(headline, str) and headline.strip():
            return " ".join(headline.split())
    if og_title:
        return " ".join(og_title.split())
    return fallback


_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:»]\s+|\s*::\s*")


def page_title(tree: Any) -> str | None:
    """The headline: the page's only ``<h1>``, or an ``<h1>`` that the ``<title>`` holds (not as its
    site-name suffix), else the title's longest part."""
    title = " ".join(tree.findtext(".//title", default="").split())
    parts = [p.strip() for p in _TITLE_SEPARATORS.split(title) if p.strip()]
    site_name = parts[-1] if len(parts) > 1 else None
    headings = [h for h in (" ".join(h1.text_content().split()) for h1 in tree.iter("h1")) if h]
    if len(headings) == 1 and len(headings[0]) >= 10 and headings[0] != site_name:
        return headings[0]
    for heading in headings:
        if heading != site_name and (not title or heading in title):
            return heading
    return max(parts, key=len) if parts else None


def canonical_link(tree: Any, metas: dict[str, str], url: str | None) -> str | None:
    values = tree.xpath('//link[translate(@rel, "CANONICAL", "canonical")="canonical"]/@href')
    value = values[0].strip() if values else get_meta(metas, "og:url")
    if not value:
        return None
    absolute = urljoin(url or "", value)
    return absolute if absolute.startswith(("http://", "https://")) else None
