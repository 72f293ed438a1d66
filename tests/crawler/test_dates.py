"""Publication-date rules: a vote of the declared meta, the date line under the headline and htmldate."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import htmldate.extractors
import lxml.html

from crawler import metadata
from crawler.dates import following_texts
from crawler.extraction import _PARSER, extract_html
from crawler.metadata import choose_date
from crawler.pipelines.extract import decode_html
from crawler.rules import ALL_RULES
from tests.support.site import french_text


def _page(head: str, after_h1: str, body: str = "") -> str:
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in french_text(4).split(".") if s.strip())
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Un jardin partagé</title>{head}'
        f"</head><body><article><h1>Un jardin partagé</h1>{after_h1}{paragraphs}{body}</article>"
        "</body></html>"
    )


def test_parse_day_reads_european_and_written_forms() -> None:
    from crawler.dates import parse_day

    assert parse_day("18.10.2021 Fachmeldung") == "2021-10-18"
    assert parse_day("5 mars 2024") == "2024-03-05"
    assert parse_day("1er juillet 2023, 10 h") == "2023-07-01"
    assert parse_day("18. Oktober 2021") == "2021-10-18"
    assert parse_day("October 18, 2021") == "2021-10-18"
    assert parse_day("2021-10-18T23:00:00Z") == "2021-10-18"
    assert parse_day("31.02.2021") is None  # no such day
    future = dt.date.today() + dt.timedelta(days=30)
    assert parse_day(future.isoformat()) is None  # never a publication date


def test_meta_value_attribute_is_read() -> None:
    head = '<meta value="2016-12-14T06:02:15Z" name="og:article:published_time">'
    result = extract_html(_page(head, ""), "https://presse.example.org/a")
    assert (result.date, result.sources["date"]) == ("2016-12-14", "meta")


def test_the_date_line_under_the_headline_is_read() -> None:
    result = extract_html(_page("", "<p class='meta'>Berlin, 28.10.2021, 058/21</p>"))
    assert (result.date, result.sources["date"]) == ("2021-10-28", "headline")


def test_a_date_far_below_the_headline_is_not_the_date_line() -> None:
    body = "<p>Le décret du 17 août 2021 prévoit une aide.</p>"
    result = extract_html(_page("", "", body))
    assert result.sources["date"] != "headline"


def test_the_vote_takes_the_day_most_sources_give_and_the_first_on_a_tie() -> None:
    candidates = [("date.meta", "meta", "2020-01-02"), ("date.headline", "headline", "2020-01-03")]
    candidates.append(("", "htmldate", "2020-01-03"))
    assert choose_date(candidates, ALL_RULES) == ("2020-01-03", "headline")
    assert choose_date(candidates[:2] + [("", "htmldate", "2020-01-09")], ALL_RULES) == ("2020-01-02", "meta")
    # a switched-off rule does not vote; htmldate always does
    assert choose_date(candidates, ALL_RULES - {"date.headline"}) == ("2020-01-02", "meta")
    assert choose_date([], ALL_RULES) == (None, "")


_FOLLOWING_XPATH = "following::text()[not(parent::script) and not(parent::style)]"
_EDGE_PAGE = (
    "<html><body><div><h1>Titre <b>gras</b> fin</h1>après<!-- note -->suite<script>var d = 1;</script>"
    "queue<style>p {}</style><p>Le <i>12</i> mars 2024<br>ligne</p>?<?pi x?>pi</div>fin du div"
    "<section><h1>Second</h1></section><p><script>x</script>dernier</p></body></html>"
)


def test_following_texts_are_the_xpaths_text_nodes(shared_dir: Path) -> None:
    """The lazy walk gives the XPath's text nodes, in order, after every heading of every shared page
    and of a page with comments, scripts, styles, processing instructions and nested headings."""
    pages = shared_dir / "data" / "web"
    htmls = [_EDGE_PAGE]
    for row in csv.DictReader((pages / "manifest.csv").open(encoding="utf-8")):
        htmls.append(decode_html((pages / row["file"]).read_bytes(), row.get("declared_charset") or None)[0])
    compared = 0
    trees = [lxml.html.fromstring(html, parser=_PARSER) for html in htmls]
    trees.append(lxml.html.fromstring(_EDGE_PAGE))  # lxml's default parser keeps the comments
    for tree in trees:
        for heading in [*tree.iter("h1", "h2")][:6]:
            assert list(following_texts(heading)) == [str(t) for t in heading.xpath(_FOLLOWING_XPATH)]
            compared += 1
    assert compared > 150
    edge = lxml.html.fromstring(_EDGE_PAGE, parser=_PARSER)
    assert list(following_texts(next(edge.iter("h1"))))[:4] == ["aprèssuite", "queue", "Le ", "12"]


def test_htmldates_parser_reads_the_date_languages_as_before() -> None:
    """htmldate's dateparser fallback, restricted to ``DATE_LANGUAGES``: htmldate's settings, and the same
    day as its all-locale parser for written dates in those languages (the three strings the shared pages
    send it among them); a date in words in another language is no longer read."""
    ours, theirs = metadata._date_parser(), metadata._htmldate_parser()
    assert htmldate.extractors.get_external_parser is metadata._date_parser
    assert vars(ours._settings) == vars(theirs._settings)
    strings = [
        "05/29/2007 09:49:00",
        "15 avril, 2 et 6 Mai 19",
        "lun. 5 août 2019 5 août 2019",
        "publié le 3 février 2021 à 10h",
        "Posted on March 3rd, 2021",
        "Veröffentlicht am 3. Februar 2021",
        "3 de febrero de 2021",
        "3 febbraio 2021",
        "3 de fevereiro de 2021",
        "3. února 2021",
        "3. helmikuuta 2021",
        "3. februar 2021",
        "mardi 12 octobre 2021, 14:05",
    ]
    for string in strings:
        assert ours.get_date_data(string)["date_obj"] == theirs.get_date_data(string)["date_obj"], string
    assert ours.get_date_data("3 lutego 2021")["date_obj"] is None  # Polish: not a date language
    assert theirs.get_date_data("3 lutego 2021")["date_obj"] == dt.datetime(2021, 2, 3)
