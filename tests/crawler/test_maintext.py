"""trafilatura's two settings with their shared stages run once give the text of two plain calls."""

from __future__ import annotations

import csv
from pathlib import Path

import lxml.html
import pytest
from trafilatura.baseline import html2txt
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.xpaths import OVERALL_DISCARD_XPATH, RAW_TREE_PRUNE_XPATH, REMOVE_COMMENTS_AND_LISTS_XPATH

from crawler.extraction import _PARSER, FULL_PASS_BELOW_CHARS, _drop_captions
from crawler.maintext import (
    _DISCARD_IN_PYTHON,
    _PRUNE_IN_PYTHON,
    main_text,
    overall_discard,
    page_text,
    plain_extraction,
    prune_raw_tree,
)
from crawler.pipelines.extract import decode_html
from tests.support.site import article_html, french_text

ALWAYS_FULL = 10**9  # every page gets the full setting too


def _two_calls(html: str, url: str | None, full_below: int, comments: bool = False) -> str:
    """The reference: trafilatura's fast setting, then its full one on short texts, as two plain calls."""
    tree = lxml.html.fromstring(html, parser=_PARSER)
    text = plain_extraction(tree, url, comments=comments, fast=True)
    if len(text or "") < full_below:
        full = plain_extraction(tree, url, comments=comments, fast=False)
        text = text if full is None else full
    return text or ""


def _shared(html: str, url: str | None, full_below: int, comments: bool = False) -> str:
    tree = lxml.html.fromstring(html, parser=_PARSER)
    return main_text(tree, url, comments=comments, full_below=full_below)


def _rescued_page() -> str:
    """A page whose main block is too short: trafilatura rescues wild paragraphs, keeping the
    teaser-marked one in its fast setting only."""
    return (
        '<html><body><div id="content"><div><span>Court.</span></div></div>'
        f"<article><p>{french_text(3, sentences=1)}</p></article>"
        f'<section><p class="teaser">{french_text(4, sentences=2)}</p><p>{french_text(5, sentences=2)}</p>'
        "</section></body></html>"
    )


def _escalated_page() -> str:
    """A short article lost in a long menu: the recall escalation measures the whole page's text."""
    menu = "".join(f"<li><a href='/r{i}'>Rubrique {i} {french_text(i, 1)[:60]}</a></li>" for i in range(60))
    return article_html("Jardin", french_text(2, sentences=2)).replace("<nav>", f"<nav><ul>{menu}</ul>")


PAGES = {
    "long article": article_html("Budget", french_text(7, sentences=40)),
    "short article": article_html("Jardin", french_text(1, sentences=4)),
    "rescued wild text": _rescued_page(),
    "short text in a long menu": _escalated_page(),
    "no text": "<html><body><nav><a href='/'>Accueil</a></nav></body></html>",
}


@pytest.mark.parametrize("name", sorted(PAGES))
@pytest.mark.parametrize("full_below", [0, FULL_PASS_BELOW_CHARS, ALWAYS_FULL])
def test_shared_stages_give_the_text_of_two_plain_calls(name: str, full_below: int) -> None:
    html = PAGES[name]
    assert _shared(html, "https://example.fr/a", full_below) == _two_calls(
        html, "https://example.fr/a", full_below
    )


def test_the_wild_text_rescue_runs_for_each_setting() -> None:
    html = _rescued_page()
    teaser = french_text(4, sentences=2)[:40]
    # the two settings' rescues differ here, so one rescue shared by both would be wrong for one
    assert teaser in _shared(html, None, 0)
    assert teaser not in _shared(html, None, ALWAYS_FULL)


def test_comments_included_run_the_two_plain_calls() -> None:
    html = article_html("Jardin", french_text(1, sentences=4)).replace(
        "</article>", f'</article><div class="comments"><p>{french_text(9, sentences=2)}</p></div>'
    )
    assert _shared(html, None, FULL_PASS_BELOW_CHARS, comments=True) == _two_calls(
        html, None, FULL_PASS_BELOW_CHARS, comments=True
    )


def test_every_shared_web_page_gets_the_text_of_two_plain_calls(shared_dir: Path) -> None:
    pages = shared_dir / "data" / "web"
    checked = 0
    with (pages / "manifest.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            html, _ = decode_html((pages / row["file"]).read_bytes(), row.get("declared_charset") or None)
            url = row["url"] or None
            reference = lxml.html.fromstring(html, parser=_PARSER)
            _drop_captions(reference)
            expected = plain_extraction(reference, url, comments=False, fast=True)
            if len(expected or "") < FULL_PASS_BELOW_CHARS:
                full = plain_extraction(reference, url, comments=False, fast=False)
                expected = expected if full is None else full
            tree = lxml.html.fromstring(html, parser=_PARSER)
            _drop_captions(tree)
            assert main_text(tree, url, comments=False, full_below=FULL_PASS_BELOW_CHARS) == (
                expected or ""
            ), row["file"]
            checked += 1
    assert checked >= 100


@pytest.mark.parametrize(
    "block",
    [
        '<div id="footer" class="x">A</div>',
        '<div class="x" id="footer">A</div>',
        '<div class="footer" id="x">A</div>',
        '<div id="x" class="footer">A</div>',
        '<section class="cookie-banner">A</section>',
        '<p id="onetrust-text">A</p>',
        "<aside>A</aside><script>var a;</script>",
        "<span>A</span><table><tr><td>B</td><td>C</td></tr></table>",
    ],
)
def test_the_page_text_is_trafilaturas_html2txt(block: str) -> None:
    tree = lxml.html.fromstring(f"<html><body><p>Gardé</p>{block}<p>Fin</p></body></html>", parser=_PARSER)
    before = lxml.html.tostring(tree)
    assert page_text(tree) == html2txt(tree)
    assert lxml.html.tostring(tree) == before


def _shared_pages(shared_dir: Path) -> list[tuple[dict[str, str], str]]:
    """Every page of the shared web set: its manifest row and its decoded HTML."""
    pages = shared_dir / "data" / "web"
    with (pages / "manifest.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [
        (row, decode_html((pages / row["file"]).read_bytes(), row.get("declared_charset") or None)[0])
        for row in rows
    ]


def test_the_page_text_of_every_shared_web_page_is_trafilaturas_html2txt(shared_dir: Path) -> None:
    rows = _shared_pages(shared_dir)
    for row, html in rows:
        tree = lxml.html.fromstring(html, parser=_PARSER)
        assert page_text(tree) == html2txt(tree), row["file"]
    assert len(rows) >= 100


def _pruned_both_ways(html: str, comments_and_lists: bool) -> tuple[bytes, bytes]:
    reference = lxml.html.fromstring(html, parser=_PARSER)
    prune_unwanted_nodes(reference, RAW_TREE_PRUNE_XPATH)
    if comments_and_lists:
        prune_unwanted_nodes(reference, REMOVE_COMMENTS_AND_LISTS_XPATH)
    tree = lxml.html.fromstring(html, parser=_PARSER)
    prune_raw_tree(tree, comments_and_lists=comments_and_lists)
    return lxml.html.tostring(tree), lxml.html.tostring(reference)


@pytest.mark.parametrize(
    "block",
    [
        '<div class="infinite-scroll"><p>Suite</p></div>',
        '<section id="infinitescroll"><h1>Le vrai</h1><p>Gardé</p></section>',
        '<div class="mvp-post-add-box"><h1>Ajouté</h1><p>Parti</p></div>',
        '<aside id="mvp-post-add-wrap"><div class="infinite-scroll">A</div></aside>B',
        '<div class="elementor-share-buttons x">Partager</div>queue',
        '<div id="comments"><ul class="comment-list"><li>Un</li></ul></div>',
        '<ol class="commentlist"><li>Un</li></ol><ul id="comol"><li>Deux</li></ul>',
        '<ul id="disqus_thread"><li>Gardé</li></ul><div id="disqus_thread">Parti</div>',
        '<details class="post-comments">A</details><div class="commentary">Gardé</div>',
        '<section class="Comment"><div class="comment">A</div></section>fin',
    ],
)
@pytest.mark.parametrize("comments_and_lists", [True, False])
def test_the_raw_tree_prune_is_trafilaturas(block: str, comments_and_lists: bool) -> None:
    assert _PRUNE_IN_PYTHON  # trafilatura's XPaths are those written in crawler.maintext
    html = f"<html><body><p>Début</p>{block}<p>Fin</p></body></html>"
    ours, theirs = _pruned_both_ways(html, comments_and_lists)
    assert ours == theirs


def test_the_raw_tree_prune_of_every_shared_web_page_is_trafilaturas(shared_dir: Path) -> None:
    rows = _shared_pages(shared_dir)
    pruned = 0
    for row, html in rows:
        ours, theirs = _pruned_both_ways(html, comments_and_lists=True)
        assert ours == theirs, row["file"]
        pruned += ours != lxml.html.tostring(lxml.html.fromstring(html, parser=_PARSER))
    assert len(rows) >= 100
    assert pruned > 0  # some shared pages have comment blocks or lists to prune


def _discarded_by_trafilatura(tree: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return [element for xpath in OVERALL_DISCARD_XPATH for element in xpath(tree)]


@pytest.mark.parametrize(
    "block",
    [
        '<div id="cookie-x" class="a">A</div><div class="cookie" id="x">B</div>',
        '<div class="x" id="cookie">A</div><span id="x" class="cookie">B</span><p class="cookie">C</p>',
        '<nav><p role="NAVIGATION">A</p></nav><section data-lp-replacement-content="">B</section>',
        '<div data-component="MostPopularStories-1">A</div><item class="tag-list">B</item>',
        '<p id="share-this">A</p><span class="ad-slot">B</span><div class="head ad-x">C</div>',
        '<div class="load">A</div><div class="sidebar-x">B</div>',
        '<b class="comments-title">A</b><i id="reply-1" class="x">B</i><i class="reply-2" id="x">C</i>',
        '<em id="hiddenbox" style="x">A</em><em style="hidden" id="x">B</em><u style="display: none">C</u>',
        '<div class="noprint"><p aria-hidden="true">A</p><p class="x hide">B</p></div><a id="akismet">C</a>',
        '<div class="navbar"><div class="sidebar"><span class="byline">A</span></div></div>',
    ],
)
def test_the_overall_discard_is_trafilaturas(block: str) -> None:
    assert _DISCARD_IN_PYTHON  # trafilatura's XPaths are those written in crawler.maintext
    tree = lxml.html.fromstring(f"<html><body><p>Début</p>{block}<p>Fin</p></body></html>", parser=_PARSER)
    expected = _discarded_by_trafilatura(tree)
    assert expected  # every block holds something to discard
    assert overall_discard(tree) == expected


def test_the_overall_discard_of_every_shared_web_page_is_trafilaturas(shared_dir: Path) -> None:
    rows = _shared_pages(shared_dir)
    found = 0
    for row, html in rows:
        tree = lxml.html.fromstring(html, parser=_PARSER)
        for subtree in [tree, *tree.iter("article", "main")]:  # the whole page and its main blocks
            expected = _discarded_by_trafilatura(subtree)
            assert overall_discard(subtree) == expected, row["file"]
            found += len(expected)
    assert len(rows) >= 100
    assert found > 0
