"""Publication-date rules: the article's own evidence beats dates elsewhere in the page."""

from __future__ import annotations

import datetime as dt

import lxml.html

from crawler.dates import article_time, labelled_date, parse_day
from crawler.extraction import extract_html
from tests.crawler.site import french_text


def _page(head: str, body: str) -> str:
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in french_text(4).split(".") if s.strip())
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Un jardin partagé</title>{head}'
        f"</head><body><h1>Un jardin partagé</h1>{body}{paragraphs}</body></html>"
    )


def test_parse_day_reads_european_and_written_forms() -> None:
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


def test_article_time_ignores_teasers_and_modification_stamps() -> None:
    body = (
        '<article><div class="meta"><time datetime="2022-01-25T08:00:00+01:00">25.01.2022</time>'
        '<time class="updated" datetime="2022-02-02">2 février</time></div>'
        '<p>Dépôt des dossiers avant le <time datetime="2022-03-01">1er mars</time>.</p></article>'
        '<div class="related-articles"><time datetime="2021-12-01">1er décembre</time></div>'
    )
    tree = lxml.html.fromstring(_page("", body))
    assert article_time(tree) == "2022-01-25"
    result = extract_html(_page('<meta name="dcterms.date" content="2022-01-21">', body))
    assert (result.date, result.sources["date"]) == ("2022-01-25", "time")


def test_article_time_is_none_when_ambiguous() -> None:
    body = '<article><time datetime="2022-01-25">a</time><time datetime="2022-01-26">b</time></article>'
    assert article_time(lxml.html.fromstring(_page("", body))) is None


def test_labelled_date_beats_dates_quoted_in_the_text() -> None:
    body = (
        '<div class="docData"><span class="label">Datum:</span> <span class="value">18.10.2021</span></div>'
        "<p>Le décret du 17 août 2021 prévoit une aide.</p>"
    )
    assert labelled_date(lxml.html.fromstring(_page("", body))) == "2021-10-18"
    result = extract_html(_page("", body))
    assert (result.date, result.sources["date"]) == ("2021-10-18", "label")
    teaser = "<aside><p>Publié le 3 mai 2020</p></aside><p>Le décret du 17 août 2021.</p>"
    assert labelled_date(lxml.html.fromstring(_page("", teaser))) is None
