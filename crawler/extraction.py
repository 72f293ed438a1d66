"""Turn a fetched document into clean text and metadata: HTML (trafilatura + structured metadata) and PDF."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree

from core.errors import InputError
from crawler.language import detect_language

log = logging.getLogger(__name__)

_JS_MARKERS = re.compile(
    r"ng-app|ng-view|data-reactroot|id=\"(root|app|__next)\"\s*>\s*</div>|\{\{\s*[\w.]+\s*\}\}|"
    r"enable javascript|activer javascript|javascript (est|is) (required|nécessaire|désactivé)",
    re.IGNORECASE,
)
_WS = re.compile(r"[ \t\r\f\v]+")
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
MIN_TEXT_CHARS = 200
FULL_PASS_BELOW_CHARS = 2000
_CAPTIONS = (
    "//figcaption | //*[contains(@class, 'credit') or contains(@class, 'copyright') "
    "or contains(@class, 'caption')]"
)


@dataclass
class Extracted:
    """What extraction found in one document."""

    text: str
    title: str | None = None
    date: str | None = None
    author: str | None = None
    lang: str | None = None
    canonical_url: str | None = None
    js_rendered: bool = False
    sources: dict[str, str] = field(default_factory=dict)


def _parse_tree(html: str) -> Any:
    try:
        return lxml.html.fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(f"not parseable as HTML: {exc}", hint="is this really an HTML page?") from exc


def _iter_jsonld(tree: Any) -> list[dict[str, Any]]:
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


def _is_article(item: dict[str, Any]) -> bool:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and ("Article" in k or k in ("BlogPosting", "Report")) for k in kinds)


def _person_name(value: Any) -> str | None:
    if isinstance(value, list):
        names = [n for n in (_person_name(v) for v in value) if n]
        return ", ".join(names) if names else None
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, str) and value.strip() and not value.startswith("http"):
        return value.strip()
    return None


def _meta_index(tree: Any) -> dict[str, str]:
    """``<meta>`` contents by lower-cased property/name/itemprop, first non-empty value kept."""
    index: dict[str, str] = {}
    for element in tree.iter("meta"):
        content = (element.get("content") or "").strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop"):
            key = (element.get(attr) or "").strip().lower()
            if key:
                index.setdefault(key, content)
    return index


def _meta(index: dict[str, str], *names: str) -> str | None:
    return next((index[name.lower()] for name in names if name.lower() in index), None)


def _day(value: str | None) -> str | None:
    """The ``YYYY-MM-DD`` of a date string, if it starts with one."""
    if not value:
        return None
    match = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", value)
    if match and 1990 <= int(match.group(1)) <= 2100:
        return "-".join(match.groups())
    return None


def _structured_date(
    tree: Any, metas: dict[str, str], articles: list[dict[str, Any]]
) -> tuple[str | None, str]:
    for item in articles:
        for key in _DATE_KEYS:
            day = _day(item.get(key) if isinstance(item.get(key), str) else None)
            if day:
                return day, "json-ld"
    day = _day(_meta(metas, *_META_DATES))
    if day:
        return day, "meta"
    values = tree.xpath(
        "//time[@itemprop='datePublished']/@datetime | //*[@itemprop='datePublished']/@content"
    )
    days = {d for d in (_day(v) for v in values) if d}
    if len(days) == 1:  # several: teasers of other articles carry theirs too
        return days.pop(), "microdata"
    day = _day(_meta(metas, *_WEAK_META_DATES))
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
    found = _htmldate(tree, url)
    return (found, "htmldate") if found else (None, "")


def _htmldate(tree: Any, url: str | None) -> str | None:
    try:
        found = find_date(tree, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except (ValueError, TypeError, etree.LxmlError) as exc:
        log.debug("htmldate failed url=%s error=%s", url, exc)
        return None
    return str(found) if found else None


def _title(articles: list[dict[str, Any]], og_title: str | None, fallback: str | None) -> str | None:
    for item in articles:
        headline = item.get("headline")
        if isinstance(headline, str) and headline.strip():
            return " ".join(headline.split())
    if og_title:
        return " ".join(og_title.split())
    return fallback


_TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:»]\s+|\s*::\s*")


def _page_title(tree: Any) -> str | None:
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


def _canonical(tree: Any, metas: dict[str, str], url: str | None) -> str | None:
    values = tree.xpath('//link[translate(@rel, "CANONICAL", "canonical")="canonical"]/@href')
    value = values[0].strip() if values else _meta(metas, "og:url")
    if not value:
        return None
    absolute = urljoin(url or "", value)
    return absolute if absolute.startswith(("http://", "https://")) else None


def _clean_text(text: str) -> str:
    lines = (_WS.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# Boilerplate lines trafilatura lets through: credits, "see also" teasers, last-modified stamps,
# newsletter calls, file-size links. Short lines only, so an article sentence is never dropped.
_BOILERPLATE_LINE = re.compile(
    r"^(?:(?:image illustrative|illustration|cr[ée]dits? photos?|photos?|copyright|©|fotos?|bild(?:quelle)?|"
    r"image|picture|credit)\s*:"
    r"|(?:[àa] lire aussi|lire aussi|voir aussi|sur le m[êe]me sujet|read more|related"
    r"|lesen sie auch|mehr zum thema)\b"
    r"|(?:letzte [äa]nderung|derni[èe]re (?:mise [àa] jour|modification)|mis [àa] jour le"
    r"|last (?:updated|modified)"
    r"|stand:)\s*[\d:. /-]*\S{0,12}$)",
    re.IGNORECASE,
)
_FILE_LINK = re.compile(r"\b(?:PDF|DOCX?|XLSX?|ODT|ZIP)\s*\|\s*\d+(?:[.,]\d+)?\s*[KMG]i?B\b", re.IGNORECASE)
_CALL_TO_ACTION = re.compile(
    r"newsletter|sign up|subscribe|abonnez-vous|inscrivez-vous|suscr[ií]b|escr[ií]benos|escribirnos|"
    r"melden sie sich|abonnieren",
    re.IGNORECASE,
)


def strip_boilerplate(text: str, title: str | None) -> str:
    """Drop boilerplate lines from extracted text: the repeated title, credits, teasers, stamps, CTAs."""
    lines = text.split("\n")
    if lines and title:
        first, head = " ".join(lines[0].split()).lower(), " ".join(title.split()).lower()
        if first == head or (head in first and len(first) < len(head) + 40):
            lines = lines[1:]
    kept = []
    for index, line in enumerate(lines):
        short = len(line) < 160
        if short and _BOILERPLATE_LINE.search(line):
            continue
        if _FILE_LINK.search(line) and len(line) < 200:
            continue
        if index >= len(lines) - 2 and len(line) < 200 and _CALL_TO_ACTION.search(line):
            continue
        kept.append(line)
    return "\n".join(kept)


def _drop_captions(tree: Any) -> None:
    """Photo captions and credits are boilerplate the article body must not hold."""
    for element in tree.xpath(_CAPTIONS):
        element.drop_tree()


def _main_text(tree: Any, html: str, url: str | None) -> tuple[str, dict[str, Any]]:
    """Main text with trafilatura on our tree once captions are gone (the tree is consumed).

    A fast pass first; trafilatura's fallback extractors (readability, jusText) run only when the fast
    pass finds little text, where they make a difference: same scores, about a third less CPU.
    """
    doc = _trafilatura(tree, url, fast=True)
    if len(doc.get("text") or "") < FULL_PASS_BELOW_CHARS:
        doc = _trafilatura(_parse_tree(html), url, fast=False) or doc
    return _clean_text(doc.get("text") or ""), doc


def _trafilatura(tree: Any, url: str | None, *, fast: bool) -> dict[str, Any]:
    _drop_captions(tree)
    raw = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        include_comments=False,
        include_tables=True,
        with_metadata=False,
        deduplicate=False,
    )
    if raw is None:
        return {}
    return raw if isinstance(raw, dict) else raw.as_dict()


def looks_js_rendered(html: str, text: str) -> bool:
    """A page whose body is built by JavaScript: almost no text and a client-side app marker."""
    return len(text) < MIN_TEXT_CHARS and bool(_JS_MARKERS.search(html))


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Main text, title, date, author, language and canonical URL of an HTML page."""
    tree = _parse_tree(html)
    metas = _meta_index(tree)
    articles = [item for item in _iter_jsonld(tree) if _is_article(item)]
    date, date_origin = find_publication_date(tree, metas, articles, url)
    title_fallback = _page_title(tree)
    canonical = _canonical(tree, metas, url)
    html_lang = (tree.get("lang") or "").split("-")[0].lower() or None
    og_title = _meta(metas, "og:title", "twitter:title")
    author = next((a for a in (_person_name(i.get("author")) for i in articles) if a), None)
    author = author or _meta(metas, "author", "article:author", "dc.creator", "sailthru.author", "byl")
    text, doc = _main_text(tree, html, url)
    title = _title(articles, og_title, doc.get("title") or title_fallback)
    text = strip_boilerplate(text, title)
    if author and author.startswith("http"):
        author = None
    result = Extracted(
        text=text,
        title=title,
        date=date,
        author=author,
        lang=detect_language(text) or html_lang,
        canonical_url=canonical,
        js_rendered=looks_js_rendered(html, text),
        sources={"date": date_origin},
    )
    if result.js_rendered:
        result.text = ""
    return result


def extract_pdf(data: bytes, url: str | None = None) -> Extracted:
    """Text and metadata of a PDF (calls for projects are often PDFs)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages[:200]]
        info = reader.metadata or {}
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        raise InputError(f"unreadable PDF {url}: {exc}", hint="the file is damaged or not a PDF") from exc
    text = _clean_text("\n".join(pages))
    title = str(info.get("/Title") or "").strip() or None
    author = str(info.get("/Author") or "").strip() or None
    created = str(info.get("/CreationDate") or "")
    match = re.match(r"D:(\d{4})(\d{2})(\d{2})", created)
    date = "-".join(match.groups()) if match else None
    return Extracted(text=text, title=title, date=date, author=author, lang=detect_language(text))
