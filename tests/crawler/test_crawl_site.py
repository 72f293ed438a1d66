"""Crawl a real local site: feed, sitemap index (incl. gzip), paginated listings, robots.txt, re-crawl."""

from __future__ import annotations

import json

import pytest

from core.ids import make_page_id
from crawler.dedup import canonicalize_url
from tests.support.cli import run_vigie
from tests.support.crawl import crawl_env, query, run_crawl_cli
from tests.support.site import (
    LocalSite,
    article_html,
    french_text,
    gzipped,
    rss_xml,
    sitemap_index_xml,
    sitemap_xml,
)

ARTICLES = [f"/2024/03/article-{i}" for i in range(12)]


def build_site(site: LocalSite) -> None:
    """12 articles reachable by a feed (0-3), a sitemap index (4-11) and 3 listing pages (0-8)."""
    for i, path in enumerate(ARTICLES):
        site.add(path, article_html(f"Article {i} du quartier", french_text(i), date=f"2024-03-{i + 1:02d}"))
    site.add("/robots.txt", "User-agent: *\nDisallow: /2024/private/\n", content_type="text/plain")
    site.add("/rss.xml", rss_xml([site.url(p) for p in ARTICLES[:4]]), content_type="application/rss+xml")
    site.add(
        "/sitemap_index.xml", sitemap_index_xml([site.url("/sitemap-1.xml"), site.url("/sitemap-2.xml.gz")])
    )
    site.add("/sitemap-1.xml", sitemap_xml([site.url(p) for p in [*ARTICLES[4:8], "/2024/private/secret"]]))
    site.add(
        "/sitemap-2.xml.gz", gzipped(sitemap_xml([site.url(p) for p in ARTICLES[8:]])), content_type="x/gz"
    )
    for page in (1, 2, 3):
        links = "".join(f'<li><a href="{p}">Article</a></li>' for p in ARTICLES[(page - 1) * 3 : page * 3])
        more = f'<a href="/actualites?page={page + 1}">Suivant</a>' if page < 3 else ""
        site.add(f"/actualites?page={page}", f"<html><body><ul>{links}</ul>{more}</body></html>", etag=False)
    site.add("/2024/private/secret", article_html("Secret", french_text(99)))


def write_sources(tmp_path, site: LocalSite) -> str:
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        "  - id: presse-test\n"
        "    name: Presse de test\n"
        "    kind: press\n"
        f"    feeds: ['{site.url('/rss.xml')}']\n"
        f"    sitemaps: ['{site.url('/sitemap_index.xml')}']\n"
        f"    start_urls: ['{site.url('/actualites?page=1')}']\n"
        "    article_patterns: ['/20\\d\\d/']\n"
        "    listing_patterns: ['/actualites\\?page=\\d+$']\n"
        "    max_depth: 2\n",
        encoding="utf-8",
    )
    return str(path)


@pytest.fixture
def press_site():
    site = LocalSite()
    build_site(site)
    with site.serving():
        yield site


def test_crawl_then_conditional_recrawl(settings, tmp_path, press_site: LocalSite) -> None:
    sources = write_sources(tmp_path, press_site)
    first = run_crawl_cli(settings, "--sources", sources, "--source", "presse-test")
    assert first.returncode == 0, first.stderr[-2000:]
    counts = first.counts
    assert (counts["new"], counts["fetched"], counts["robots_denied"]) == (12, 12, 1), first.stats
    assert (counts["feeds"], counts["sitemaps"], counts["listings"]) == (1, 3, 3)
    assert first.errors == {}
    assert press_site.requests_for("/2024/private/secret") == []
    assert all(len(press_site.requests_for(p)) == 1 for p in ARTICLES)

    rows = query(
        settings, "SELECT id, canonical_url, kind, source, date, lang, title FROM pages ORDER BY url"
    )
    assert len(rows) == 12
    for page_id, canonical, kind, source, date, lang, title in rows:
        assert page_id == make_page_id(canonical)
        assert (kind, source, lang) == ("press", "presse-test", "fr")
        assert date.startswith("2024-03-") and title.startswith("Article ")
    assert query(settings, "SELECT id, kind, name FROM sources") == [
        ("presse-test", "press", "Presse de test")
    ]
    runs = query(settings, "SELECT status, stats FROM crawl_runs")
    assert [r[0] for r in runs] == ["finished"]
    assert json.loads(runs[0][1])["counts"]["new"] == 12

    before = query(settings, "SELECT id, updated_at, fetched_at, content_hash FROM pages ORDER BY id")
    second = run_crawl_cli(settings, "--sources", sources, "--source", "presse-test")
    assert second.returncode == 0
    assert (second.counts["new"], second.counts["updated"]) == (0, 0)
    assert second.counts["unchanged"] == second.counts["not_modified"] == 12
    assert all("If-None-Match" in press_site.requests_for(p)[-1] for p in ARTICLES)
    assert query(settings, "SELECT id, updated_at, fetched_at, content_hash FROM pages ORDER BY id") == before

    edited = article_html("Article 0 du quartier", french_text(0) + " Mise à jour : la fête a lieu samedi.")
    press_site.add(ARTICLES[0], edited)
    third = run_crawl_cli(settings, "--sources", sources, "--source", "presse-test")
    assert (third.counts["new"], third.counts["updated"], third.counts["not_modified"]) == (0, 1, 11)
    changed = query(settings, "SELECT text FROM pages WHERE url = ?", press_site.url(ARTICLES[0]))
    assert "la fête a lieu samedi" in changed[0][0]


def test_adhoc_feed_url_and_export(settings, press_site: LocalSite) -> None:
    feed = run_crawl_cli(settings, "--feed", press_site.url("/rss.xml"), "--kind", "association")
    assert feed.returncode == 0
    assert feed.counts["new"] == 4
    one = run_crawl_cli(settings, "--url", press_site.url(ARTICLES[5]), "--kind", "call_for_projects")
    assert one.counts["new"] >= 1
    export = run_vigie(["pages", "export", "--output", "-"], env=crawl_env(settings))
    assert export.returncode == 0, export.stderr[-2000:]
    lines = [json.loads(line) for line in export.stdout.splitlines()]
    keys = {"id", "url", "canonical_url", "title", "date", "author", "lang", "text", "source", "kind"}
    assert all(keys | {"fetched_at", "content_hash", "duplicate_of"} <= set(line) for line in lines)
    # where the title and the date came from, for the reviewer to spot a wrong one
    assert {line["title_source"] for line in lines} <= {"og:title", "h1", "title", "trafilatura"}
    assert {line["date_source"] for line in lines} <= {"meta", "headline", "htmldate", None}
    assert any(line["date_source"] == "meta" for line in lines)
    by_url = {line["canonical_url"]: line for line in lines}
    assert by_url[canonicalize_url(press_site.url(ARTICLES[0]))]["kind"] == "association"
    assert by_url[canonicalize_url(press_site.url(ARTICLES[5]))]["kind"] == "call_for_projects"
    assert "habitants du quartier" in by_url[canonicalize_url(press_site.url(ARTICLES[5]))]["text"]
