"""trafilatura's main-text cascade in its fast setting, then its full one when the fast one finds little.

The crawler runs trafilatura's fast setting on every page and its full setting (the readability and
jusText comparisons) on pages where the fast one finds under ``full_below`` characters. The two settings
share their first stages: the raw-tree pruning, the cleaning and tag conversion, the main extractor
(the setting only changes its rescue of "wild" text), the page's plain text measured by the recall
escalation test. Run here once per page instead of once per setting (docs/crawler.md, fifth session:
about 15 % of the extraction's CPU on the shared web pages), with the same text.

The stages follow trafilatura 2.3.1's ``bare_extraction``, ``trafilatura_sequence`` and
``extract_content`` (Python output, no metadata, no deduplication, no language filter, comments
left out). With comments included (an evaluation that switches ``text.no_comments`` off) or with another
trafilatura version, the two settings run as two plain ``bare_extraction`` calls, as before;
``tests/crawler/test_maintext.py`` checks that both ways give the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from copy import copy, deepcopy
from typing import Any

import trafilatura
import trafilatura.main_extractor
from lxml import etree
from lxml.etree import _Element, strip_elements, strip_tags
from trafilatura.baseline import _spaced_text, baseline
from trafilatura.core import (
    ESCALATION_ACCEPT_RATIO,
    ESCALATION_JUSTEXT_RATIO,
    ESCALATION_MAX_LENGTH,
    ESCALATION_PAGE_SHARE,
    _forum_thread_page,
    _prepare_tree,
    _recall_retry,
)
from trafilatura.external import compare_extraction, justext_rescue
from trafilatura.htmlprocessing import convert_tags, prune_unwanted_nodes, tree_cleaning
from trafilatura.main_extractor import MIN_DUPLICATE_LENGTH, _elem_text, _extract, recover_wild_text
from trafilatura.settings import _COOKIE_CONSENT_RE, Extractor
from trafilatura.utils import SPACING_PROTECTED, text_chars_test
from trafilatura.xml import delete_element, xmltotxt
from trafilatura.xpaths import OVERALL_DISCARD_XPATH, RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

# The trafilatura version whose stages this module follows; any other runs the two plain calls.
SHARED_STAGES_VERSION = "2.3.1"
Body = tuple[_Element, str]
# trafilatura's BASIC_CLEAN_XPATH, tested in Python: the XPath calls back into Python for its two
# regular-expression tests on every element (8 ms of CPU per page on the shared web pages)
_BASIC_CLEAN_TAGS = frozenset({"aside", "fencedframe", "footer", "script", "style", "svg", "template"})
_COOKIE_CONSENT = re.compile(_COOKIE_CONSENT_RE, re.IGNORECASE)
# trafilatura's OVERALL_DISCARD_XPATH (whitespace aside), its regular expressions, and the same tests in
# Python (``overall_discard``)
_DISCARD_ID_RE = (
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|"
    "^(?:jp-|dpsp-content)|bmdh|footer|Footer|share|Share|nav|Nav|menu|related|message-container|premium|^ad-"
)
_DISCARD_CLASS_RE = (
    "^shar|social|viral|newsletter|syndication|tags|sidebar|banner|bread-?crumb|button|author|"
    "^(?:nav|post-nav|ZendeskForm)|subnav|avigation|navbar|navbox|menu|bar| ad |-ad-|(?:^| )ad-|dfp[Aa]d|"
    "outbrain|taboola|criteo|paid-?content|widget|footer|Footer|byline|Byline|share-|sociable|embedded|embed|"
    "tag-list|consent|modal-content|permission|elated|next-|-stories|most-popular|more-on|meta|rating|"
    "attachment|timestamp|user-info|user-profile|-icon|article-infos|message-container|slide|viewport|"
    "overlay|options|expand|obfuscated|blurred|mol-factbox|yin|zlylin|nfoline"
)
_HIDDEN_ID_RE = "reader-comments|akismet"
_HIDDEN_CLASS_RE = (
    "^hide-|comments-title|nocomments|-reply-|message|akismet|suggest-links|-hide-|hide-print| hidden| hide|"
    "noprint|notloaded"
)
# trafilatura's raw-tree prune XPaths (whitespace aside) and the same tests in Python (``prune_raw_tree``)
_PRUNE_XPATHS = (
    ".//*[self::div or self::section or self::aside][ "
    "re:test(@id, 'mvp-post-add-(?:box|wrap)|infinite-?scroll') or "
    "re:test(@class, 'mvp-post-add-(?:box|wrap)|infinite-?scroll')][ not(.//h1) or "
    "re:test(@id, 'mvp-post-add-(?:box|wrap)') or re:test(@class, 'mvp-post-add-(?:box|wrap)')]",
    ".//*[self::div or self::section or self::aside][contains(@class, 'elementor-share-buttons')]",
    ".//*[self::div or self::list or self::section or self::details or self::ol or self::ul][ "
    "re:test(@id, '^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)') or "
    "re:test(@class, '^[Cc]omment(?!ary)|(?:article|post)-comments')][ not(self::ol or self::ul) or "
    "re:test(@id, '^(?:[Cc]omment(?!ary)|comol)') or "
    "re:test(@class, '^[Cc]omment(?!ary)|(?:article|post)-comments')]",
)
_PRUNE_IN_PYTHON = (
    tuple(" ".join(xpath.path.split()) for xpath in (*RAW_TREE_PRUNE_XPATH, *REMOVE_COMMENTS_AND_LISTS_XPATH))
    == _PRUNE_XPATHS
)
_DISCARD_XPATHS = (
    ".//*[self::div or self::item or self::list or self::p or self::section or self::span][ "
    "@data-lp-replacement-content or contains(translate(@role, 'N', 'n'), 'nav') or "
    "contains(@data-component, 'MostPopularStories') or re:test(@id|@class, 'cookie') or "
    f"re:test(@id, '{_DISCARD_ID_RE}') or re:test(@class, '{_DISCARD_CLASS_RE}')]",
    ".//*[@class='comments-title' or starts-with(@id|@class, 'reply-') or re:test(@id|@style, 'hidden') or "
    "contains(@style, 'display:none') or contains(@style, 'display: none') or "
    f"re:test(@id, '{_HIDDEN_ID_RE}') or re:test(@class, '{_HIDDEN_CLASS_RE}') or @aria-hidden='true']",
)
_DISCARD_IN_PYTHON = tuple(" ".join(xpath.path.split()) for xpath in OVERALL_DISCARD_XPATH) == _DISCARD_XPATHS
# the regular expressions' spaces count: each is also found as written
_DISCARD_IN_PYTHON &= all(
    f"'{pattern}'" in "".join(xpath.path for xpath in OVERALL_DISCARD_XPATH)
    for pattern in (_DISCARD_ID_RE, _DISCARD_CLASS_RE, _HIDDEN_ID_RE, _HIDDEN_CLASS_RE)
)
_DISCARD_TAGS = frozenset({"div", "item", "list", "p", "section", "span"})
_DISCARD_ID = re.compile(_DISCARD_ID_RE)
_DISCARD_CLASS = re.compile(_DISCARD_CLASS_RE)
_HIDDEN_ID = re.compile(_HIDDEN_ID_RE)
_HIDDEN_CLASS = re.compile(_HIDDEN_CLASS_RE)
_SCROLL_TAGS = ("div", "section", "aside")
_SCROLL = re.compile(r"mvp-post-add-(?:box|wrap)|infinite-?scroll")
_POST_ADD = re.compile(r"mvp-post-add-(?:box|wrap)")
_COMMENT_TAGS = ("div", "list", "section", "details", "ol", "ul")
_COMMENTS_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol|disqus_thread|dsq-comments)")
_COMMENTS_CLASS = re.compile(r"^[Cc]omment(?!ary)|(?:article|post)-comments")
_COMMENT_LIST_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol)")


def main_text(tree: Any, url: str | None, *, comments: bool, full_below: int) -> str:
    """trafilatura's text of the page (fast setting; full setting when the fast text is shorter than
    ``full_below`` characters and the full one finds a document). Consumes ``tree``."""
    options = Extractor(output_format="python", fast=True, comments=False, tables=True, url=url)
    if comments or trafilatura.__version__ != SHARED_STAGES_VERSION or options.max_tree_size:
        fast = plain_extraction(tree, url, comments=comments, fast=True)
        if len(fast or "") < full_below:
            full = plain_extraction(tree, url, comments=comments, fast=False)
            fast = fast if full is None else full
        return fast or ""
    with _discard_in_python():
        cascade = _Cascade(tree, options)
        text = cascade.text(fast=True)
        if len(text or "") < full_below:
            full = cascade.text(fast=False)
            text = text if full is None else full
    return text or ""


def plain_extraction(tree: Any, url: str | None, *, comments: bool, fast: bool) -> str | None:
    """trafilatura's ``bare_extraction`` text, None when it finds no document (``tree`` is left as is)."""
    raw = trafilatura.bare_extraction(
        tree,
        url=url,
        fast=fast,
        include_comments=comments,
        include_tables=True,
        with_metadata=False,
        deduplicate=False,
    )
    if raw is None:
        return None
    return str((raw if isinstance(raw, dict) else raw.as_dict()).get("text"))


class _Cascade:
    """One page's cascade, comments left out: shared stages computed once, each setting's own on demand."""

    def __init__(self, tree: Any, options: Extractor) -> None:
        self.url: str | None = options.url
        self.options = options
        self.failed = False
        self._contents: dict[bool, Body] = {}
        self._page_text_chars: int | None = None
        try:
            is_forum = _forum_thread_page(tree)
            prune_raw_tree(tree, comments_and_lists=not is_forum)  # comments off, balanced focus
            self.tree = tree
            # the setting does not enter the cleaning and conversion; ``backup`` is read by the full one
            self.cleaned, self.backup = _prepare_tree(tree, options, self.url)
        except (TypeError, ValueError):  # bare_extraction's "discarding data": no document
            self.failed = True

    def _options(self, fast: bool) -> Extractor:
        if fast:
            return self.options
        options = copy(self.options)
        options.fast = False
        return options

    def text(self, *, fast: bool) -> str | None:
        """The setting's text as ``bare_extraction`` gives it; None when it finds no document."""
        if self.failed:
            return None
        options = self._options(fast)
        try:
            postbody, temp_text = self._sequence(options)
        except (TypeError, ValueError):
            return None
        if len(temp_text) < options.min_output_size and options.min_output_comm_size > 0:
            return None
        return xmltotxt(postbody, options.formatting)

    def _sequence(self, options: Extractor) -> Body:
        """``trafilatura_sequence`` after the shared stages (comments off, balanced focus)."""
        tree = self.tree
        postbody, temp_text = self._content(options)
        if not options.fast:
            postbody, temp_text = compare_extraction(self.backup, copy(tree), postbody, temp_text, options)
        if len(temp_text) < options.min_extracted_size:
            b_body, b_text, b_len = baseline(tree)
            if b_len > len(temp_text):
                postbody, temp_text = b_body, b_text
        short = 0 < len(temp_text) < ESCALATION_MAX_LENGTH
        if short and len(temp_text) < ESCALATION_PAGE_SHARE * self._page_chars():
            r_options = copy(options)
            r_options.focus = "recall"
            r_text = j_text = ""
            try:
                r_body, r_text = _recall_retry(tree, r_options, self.url)
            except Exception:  # noqa: BLE001  # as trafilatura: a failed retry keeps the first result
                r_text = ""
            if not options.fast:
                try:
                    j_body, j_text = justext_rescue(copy(tree), options)
                except Exception:  # noqa: BLE001  # as trafilatura
                    j_text = ""
            len_text, r_len, j_len = len(temp_text), len(r_text), len(j_text)
            if j_len > r_len and j_len > ESCALATION_JUSTEXT_RATIO * len_text:
                postbody, temp_text = j_body, j_text
            elif r_len >= options.min_extracted_size and r_len > ESCALATION_ACCEPT_RATIO * len_text:
                postbody, temp_text = r_body, r_text
        return postbody, temp_text

    def _page_chars(self) -> int:
        """Length of the page's plain text (the escalation test's measure), the same for both settings."""
        if self._page_text_chars is None:
            self._page_text_chars = len(page_text(self.tree))
        return self._page_text_chars

    def _content(self, options: Extractor) -> Body:
        """``extract_content``'s result under ``options``: the main extractor runs once; only its
        rescue of wild text (when it finds little) depends on the setting, and runs per setting."""
        if options.fast in self._contents:
            return self._contents[options.fast]
        if not self._contents:
            try:
                self._first_content(options)
            except (TypeError, ValueError):  # the shared main extractor failed: no document either way
                self.failed = True
                raise
        if options.fast not in self._contents:  # the rescue ran for the other setting: run it again
            body, temp_text = self._rescue(options)
            self._contents[options.fast] = (_tidy(body), temp_text)
        return self._contents[options.fast]

    def _first_content(self, options: Extractor) -> None:
        cleaned = self.cleaned
        self.order = list(cleaned.iter())
        body, temp_text, self.potential_tags = _extract(cleaned, options)
        if len(body) == 0 or len(temp_text) < options.min_extracted_size:
            self.extracted = body  # kept untouched for the other setting's rescue
            body, temp_text = self._rescue(options)
            self._contents[options.fast] = (_tidy(body), temp_text)
        else:
            self._contents[True] = self._contents[False] = (_tidy(body), temp_text)

    def _rescue(self, options: Extractor) -> Body:
        # the rescue reads the cleaned tree as it was before the main extractor moved its blocks:
        # made again here (the cleaning is deterministic) rather than copied on every page
        snapshot = convert_tags(tree_cleaning(copy(self.tree), options), options, self.url)
        twins = zip(self.order, snapshot.iter(), strict=True)
        consumed = {twin for elem, twin in twins if elem.tag == "done"}
        body = recover_wild_text(snapshot, deepcopy(self.extracted), options, self.potential_tags, consumed)
        return body, " ".join(body.itertext()).strip()


def _tidy(result_body: _Element) -> _Element:
    """``extract_content``'s last steps: repeated blocks, leftover ``done``/``div`` tags, blank breaks."""
    previous = None
    for el in list(result_body):
        current = _elem_text(el)
        if current and current == previous and len(current) > MIN_DUPLICATE_LENGTH:
            delete_element(el, keep_tail=False)
        else:
            previous = current
    strip_elements(result_body, "done")
    strip_tags(result_body, "div")
    for linebreak in result_body.iter("lb"):
        if (
            linebreak.tail
            and not text_chars_test(linebreak.tail)
            and not any(anc.tag in SPACING_PROTECTED for anc in linebreak.iterancestors())
        ):
            linebreak.tail = None
    return result_body


def prune_raw_tree(tree: Any, *, comments_and_lists: bool) -> None:
    """trafilatura's raw-tree pruning (``RAW_TREE_PRUNE_XPATH``, then ``REMOVE_COMMENTS_AND_LISTS_XPATH``
    when ``comments_and_lists``), the same elements deleted in the same order.

    The XPaths' ``.//*[self::div or ...]`` steps and their ``re:test`` callbacks into Python cost about
    4 ms per page on the shared web pages; walking the tree by tag and testing the attributes here
    costs about 1. Another trafilatura whose XPaths differ from those written here gets its own.
    """
    if not _PRUNE_IN_PYTHON:
        prune_unwanted_nodes(tree, RAW_TREE_PRUNE_XPATH)
        if comments_and_lists:
            prune_unwanted_nodes(tree, REMOVE_COMMENTS_AND_LISTS_XPATH)
        return
    # each expression is evaluated on the tree the previous one pruned, as prune_unwanted_nodes does
    for element in [e for e in tree.iterdescendants(_SCROLL_TAGS) if _infinite_scroll(e)]:
        delete_element(element)
    shares = tree.iterdescendants(_SCROLL_TAGS)
    for element in [e for e in shares if "elementor-share-buttons" in (e.get("class") or "")]:
        delete_element(element)
    if comments_and_lists:
        for element in [e for e in tree.iterdescendants(_COMMENT_TAGS) if _comments_or_list(e)]:
            delete_element(element)


def _infinite_scroll(element: Any) -> bool:
    """``RAW_TREE_PRUNE_XPATH``'s first expression's predicates (an absent attribute tests as "")."""
    ident, cls = element.get("id") or "", element.get("class") or ""
    if not (_SCROLL.search(ident) or _SCROLL.search(cls)):
        return False
    return element.find(".//h1") is None or bool(_POST_ADD.search(ident) or _POST_ADD.search(cls))


def _comments_or_list(element: Any) -> bool:
    """``REMOVE_COMMENTS_AND_LISTS_XPATH``'s predicates."""
    ident, cls = element.get("id") or "", element.get("class") or ""
    if not (_COMMENTS_ID.search(ident) or _COMMENTS_CLASS.search(cls)):
        return False
    if element.tag not in ("ol", "ul"):
        return True
    return bool(_COMMENT_LIST_ID.search(ident) or _COMMENTS_CLASS.search(cls))


_prune_unwanted_nodes = trafilatura.main_extractor.prune_unwanted_nodes


@contextmanager
def _discard_in_python() -> Iterator[None]:
    """trafilatura's main extractor prunes its candidate blocks with ``OVERALL_DISCARD_XPATH`` (two
    expressions over every element, with ``re:test`` callbacks into Python): while the cascade runs,
    it gets the same elements from ``overall_discard`` (about half the CPU on the shared web pages)."""
    if not _DISCARD_IN_PYTHON:
        yield
        return
    trafilatura.main_extractor.prune_unwanted_nodes = _prune_with_python_discard  # type: ignore[assignment]
    try:
        yield
    finally:
        trafilatura.main_extractor.prune_unwanted_nodes = _prune_unwanted_nodes


def _prune_with_python_discard(tree: Any, nodelist: list[Any], with_backup: bool = False) -> Any:
    """trafilatura's ``prune_unwanted_nodes``, with ``OVERALL_DISCARD_XPATH``'s matches found in Python."""
    if nodelist is not OVERALL_DISCARD_XPATH:
        return _prune_unwanted_nodes(tree, nodelist, with_backup)
    if not with_backup:
        for element in overall_discard(tree):
            delete_element(element)
        return tree
    # as trafilatura: prune nothing if it would remove too much text
    matches = dict.fromkeys(overall_discard(tree))
    outer = [elem for elem in matches if not any(a in matches for a in elem.iterancestors())]
    old_len = len(tree.text_content())
    if old_len - sum(len(elem.text_content()) for elem in outer) > old_len / 7:
        for elem in outer:
            delete_element(elem)
    return tree


def overall_discard(tree: Any) -> list[Any]:
    """The elements ``OVERALL_DISCARD_XPATH``'s two expressions select under ``tree``, in their order
    (the first's in document order, then the second's)."""
    first, second = [], []
    for element in tree.iterdescendants(etree.Element):
        attributes = element.attrib
        if not attributes:
            continue
        if element.tag in _DISCARD_TAGS and _discarded_block(attributes):
            first.append(element)
        if _hidden(attributes):
            second.append(element)
    return first + second


def _first_of(attributes: Any, names: tuple[str, str]) -> str:
    """XPath's string value of ``@a|@b``: the first of the two attributes in the source's order, or ""."""
    return next((value for name, value in attributes.items() if name in names), "")


def _discarded_block(attributes: Any) -> bool:
    """``OVERALL_DISCARD_XPATH``'s first expression's predicate (an absent attribute tests as "")."""
    if "data-lp-replacement-content" in attributes:
        return True
    if "nav" in (attributes.get("role") or "").replace("N", "n"):
        return True
    if "MostPopularStories" in (attributes.get("data-component") or ""):
        return True
    if "cookie" in _first_of(attributes, ("id", "class")):
        return True
    return bool(
        _DISCARD_ID.search(attributes.get("id") or "") or _DISCARD_CLASS.search(attributes.get("class") or "")
    )


def _hidden(attributes: Any) -> bool:
    """``OVERALL_DISCARD_XPATH``'s second expression's predicate."""
    cls = attributes.get("class")
    if cls == "comments-title" or _first_of(attributes, ("id", "class")).startswith("reply-"):
        return True
    style = attributes.get("style") or ""
    if "display:none" in style or "display: none" in style:
        return True
    if "hidden" in _first_of(attributes, ("id", "style")):
        return True
    if _HIDDEN_ID.search(attributes.get("id") or "") or _HIDDEN_CLASS.search(cls or ""):
        return True
    return attributes.get("aria-hidden") == "true"


def page_text(tree: Any) -> str:
    """trafilatura's ``html2txt(tree)``: the text of the page's body less asides, footers, scripts,
    styles and cookie banners, spaced at block boundaries (``tree`` is left as is)."""
    tree = copy(tree)
    body = tree.find(".//body")
    if body is None:
        body = tree
    for element in [e for e in body.iterdescendants(etree.Element) if _basic_clean(e)]:
        delete_element(element)
    return str(_spaced_text(body))


def _basic_clean(element: Any) -> bool:
    """Whether trafilatura's ``basic_cleaning`` deletes ``element``."""
    tag = element.tag
    if tag in _BASIC_CLEAN_TAGS:
        return True
    # contains(@class|@id, 'footer') reads the first of the two attributes in the source's order
    if tag == "div" and "footer" in next((v for k, v in element.items() if k in ("class", "id")), ""):
        return True
    return bool(
        _COOKIE_CONSENT.search(element.get("class") or "") or _COOKIE_CONSENT.search(element.get("id") or "")
    )
