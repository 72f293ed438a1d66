"""Turn a fetched document into clean text and metadata: HTML (trafilatura + structured metadata) and PDF."""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from lxml import etree

from core.errors import InputError
from crawler.language import detect_language
from crawler.leads import find_leads, with_lead
from crawler.maintext import main_text
from crawler.metadata import (
    DateCandidate,
    canonical_link,
    choose_date,
    date_candidates,
    get_meta,
    is_article,
    iter_jsonld,
    meta_index,
    person_name,
)
from crawler.rules import ALL_RULES
from crawler.titles import (
    Title,
    TitleEvidence,
    choose_title,
    gather_titles,
    is_title_like,
    title_candidates,
    trafilatura_title,
)

log = logging.getLogger(__name__)

_JS_MARKERS = re.compile(
    r"ng-app|ng-view|data-reactroot|id=\"(root|app|__next)\"\s*>\s*</div>|\{\{\s*[\w.]+\s*\}\}|"
    r"enable javascript|activer javascript|javascript (est|is) (required|nécessaire|désactivé)",
    re.IGNORECASE,
)
_WS = re.compile(r"[ \t\r\f\v]+")
MIN_TEXT_CHARS = 200
# Comments and processing instructions never hold article text; dropping them at parse time makes
# every later pass (trafilatura, htmldate, our metadata) walk a smaller tree.
_PARSER = lxml.html.HTMLParser(collect_ids=False, remove_comments=True, remove_pis=True)


def _class_lookup_in_c() -> etree.ElementNamespaceClassLookup:
    """lxml.html's element classes (``FormElement`` for ``<form>``..., ``HtmlElement`` otherwise) chosen
    by lxml's C lookup: lxml.html's own lookup is a Python method called for every element proxy
    (about 3 % of the extraction's CPU); the classes, hence every result, are the same."""
    fallback = etree.ElementDefaultClassLookup(
        element=lxml.html.HtmlElement,
        comment=lxml.html.HtmlComment,
        pi=lxml.html.HtmlProcessingInstruction,
        entity=lxml.html.HtmlEntity,
    )
    lookup = etree.ElementNamespaceClassLookup(fallback)
    namespace = lookup.get_namespace(None)
    for name, cls in lxml.html.HtmlElementClassLookup._default_element_classes.items():
        namespace[name] = cls
    return lookup


_PARSER.set_element_class_lookup(_class_lookup_in_c())
FULL_PASS_BELOW_CHARS = 2000
_TRAFILATURA_RULES = frozenset({"text.drop_captions", "text.no_comments"})  # rules that change its input
# ``[@class]`` first: elements without a class are skipped before the three substring tests.
_CAPTIONS = (  # what ``caption_elements`` finds (tests/crawler/test_extraction.py compares them)
    "//figcaption | //*[@class][contains(@class, 'credit') or contains(@class, 'copyright') "
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
        return lxml.html.fromstring(html, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise InputError(f"not parseable as HTML: {exc}", hint="is this really an HTML page?") from exc


def _clean_text(text: str) -> str:
    lines = (_WS.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


# Boilerplate lines trafilatura lets through, one pattern per rule of ``crawler.rules``. Short lines
# only, so an article sentence is never dropped.
_LINE_RULES = {
    "text.credit_lines": re.compile(
        r"^(?:image illustrative|illustration|cr[ée]dits? photos?|photos?|copyright|©|fotos?|bild(?:quelle)?|"
        r"image|picture|credit)\s*:",
        re.IGNORECASE,
    ),
    "text.see_also_lines": re.compile(
        r"^(?:[àa] lire aussi|lire aussi|voir aussi|sur le m[êe]me sujet|read more|related"
        r"|lesen sie auch|mehr zum thema)\b",
        re.IGNORECASE,
    ),
}
_CALL_TO_ACTION = re.compile(
    r"newsletter|sign up|subscribe|abonnez-vous|inscrivez-vous|suscr[ií]b|escr[ií]benos|escribirnos|"
    r"melden sie sich|abonnieren",
    re.IGNORECASE,
)


def strip_boilerplate(text: str, titles: list[str], rules: frozenset[str] = ALL_RULES) -> str:
    """Drop boilerplate lines from extracted text: a first line repeating one of the page's titles
    (the chosen one, an ``<h1>``, the ``<title>``), credits, see-also teasers, calls to action."""
    lines = text.split("\n")
    if lines and "text.repeated_title" in rules:
        first = " ".join(lines[0].split()).lower()
        for title in titles:
            head = " ".join(title.split()).lower()
            if head and (first == head or (head in first and len(first) < len(head) + 40)):
                lines = lines[1:]
                break
    line_rules = [pattern for name, pattern in _LINE_RULES.items() if name in rules]
    kept = []
    for index, line in enumerate(lines):
        if len(line) < 160 and any(pattern.search(line) for pattern in line_rules):
            continue
        if (
            "text.call_to_action" in rules
            and index >= len(lines) - 2
            and len(line) < 200
            and _CALL_TO_ACTION.search(line)
        ):
            continue
        kept.append(line)
    return "\n".join(kept)


def _drop_captions(tree: Any) -> None:
    """Photo captions and credits are boilerplate the article body must not hold."""
    for element in caption_elements(tree):
        element.drop_tree()


def caption_elements(tree: Any) -> list[Any]:
    """The elements ``_CAPTIONS`` selects, in document order, found by walking the document (a third
    less time than the XPath's ``//*`` and ``contains`` over every element)."""
    found = []
    for element in tree.getroottree().getroot().iter(etree.Element):  # ``//`` starts at the root
        if element.tag == "figcaption":
            found.append(element)
            continue
        names = element.get("class")
        if names is not None and ("credit" in names or "copyright" in names or "caption" in names):
            found.append(element)
    return found


def _main_text(tree: Any, url: str | None, rules: frozenset[str]) -> str:
    """Main text with trafilatura on our tree once captions are gone (consumes the tree).

    A fast pass first; trafilatura's fallback extractors (readability, jusText) run only when the fast
    pass finds little text, where they make a difference: same scores, about a third less CPU. The two
    passes share the stages they have in common (``crawler.maintext``).
    """
    if "text.drop_captions" in rules:
        _drop_captions(tree)
    comments = "text.no_comments" not in rules
    return _clean_text(main_text(tree, url, comments=comments, full_below=FULL_PASS_BELOW_CHARS))


def looks_js_rendered(html: str, text: str) -> bool:
    """A page whose body is built by JavaScript: almost no text and a client-side app marker."""
    return len(text) < MIN_TEXT_CHARS and bool(_JS_MARKERS.search(html))


@dataclass
class Evidence:
    """What a page offers before any rule decides: title and date candidates, metadata, and
    trafilatura's main text for each setting of the rules that change its input (made on demand)."""

    html: str
    url: str | None
    titles: TitleEvidence
    dates: list[DateCandidate]
    author: str | None
    canonical_url: str | None
    html_lang: str | None
    leads: list[tuple[str, str]] = field(default_factory=list)
    tree: Any = None  # consumed by the first main-text pass
    texts: dict[frozenset[str], str] = field(default_factory=dict)
    fallback_title: str | None = None  # trafilatura's own title, once asked (``fallback_known``)
    fallback_known: bool = False

    def trafilatura_title(self) -> str | None:
        """trafilatura's own title of the page (the title fallback), computed on first use, on the
        page as parsed (parsed again if the main-text pass has consumed the tree)."""
        if not self.fallback_known:
            tree = self.tree if self.tree is not None else _parse_tree(self.html)
            self.fallback_title, self.fallback_known = trafilatura_title(tree), True
        return self.fallback_title

    def main_text(self, rules: frozenset[str]) -> str:
        """trafilatura's cleaned main text under ``rules`` (only captions and comments change it)."""
        key = rules & _TRAFILATURA_RULES
        if key not in self.texts:
            tree, self.tree = self.tree if self.tree is not None else _parse_tree(self.html), None
            self.texts[key] = _main_text(tree, self.url, key)
        return self.texts[key]


def gather(html: str, url: str | None = None, *, complete: bool = False) -> Evidence:
    """Parse a page and collect every candidate the rules choose from (``complete``: also those that
    cannot change the decision of all rules together, for an evaluation that switches rules off)."""
    tree = _parse_tree(html)
    metas = meta_index(tree)
    articles = [item for item in iter_jsonld(tree) if is_article(item)]
    titles = gather_titles(tree, metas, articles, url)
    dates = date_candidates(tree, metas, url, is_title_like(titles), complete)
    author = next((a for a in (person_name(i.get("author")) for i in articles) if a), None)
    author = author or get_meta(metas, "author", "article:author", "dc.creator", "sailthru.author", "byl")
    if author and author.startswith("http"):
        author = None
    html_lang = (tree.get("lang") or "").split("-")[0].lower() or None
    canonical = canonical_link(tree, metas, url)
    return Evidence(html, url, titles, dates, author, canonical, html_lang, find_leads(tree), tree)


def decide_title(evidence: Evidence, rules: frozenset[str]) -> Title:
    """The title the enabled rules choose (trafilatura's when no two candidates agree)."""
    candidates = title_candidates(evidence.titles, rules)
    return choose_title(candidates, evidence.trafilatura_title, bare="title.site_name" in rules)


def decide_text(evidence: Evidence, rules: frozenset[str], title: str | None) -> str:
    """The main text under the enabled rules; empty for a page built by JavaScript."""
    text = evidence.main_text(rules)
    if "text.lead" in rules:
        text = with_lead(text, evidence.leads)
    titles = [
        title or "",
        *evidence.titles.headings,
        evidence.titles.tag or "",
        evidence.titles.og_title or "",
    ]
    text = strip_boilerplate(text, titles, rules)
    return "" if looks_js_rendered(evidence.html, text) else text


def decide(evidence: Evidence, rules: frozenset[str] = ALL_RULES) -> Extracted:
    """The extraction result the enabled ``rules`` give on a page's evidence."""
    title = decide_title(evidence, rules)
    date, date_source = choose_date(evidence.dates, rules)
    text = decide_text(evidence, rules, title.value)
    return Extracted(
        text=text,
        title=title.value,
        date=date,
        author=evidence.author,
        lang=detect_language(text) or evidence.html_lang,
        canonical_url=evidence.canonical_url,
        js_rendered=looks_js_rendered(evidence.html, text),
        sources={"title": title.source, "date": date_source},
    )


def extract_html(html: str, url: str | None = None, rules: frozenset[str] = ALL_RULES) -> Extracted:
    """Main text, title, date, author, language and canonical URL of an HTML page.

    ``rules`` are the enabled rules of ``crawler.rules`` (the evaluation switches them off);
    ``sources`` says where the title and the date came from.
    """
    return decide(gather(html, url), rules)


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
