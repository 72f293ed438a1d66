"""Feed, sitemap, dedup and failure-classification units, on small inputs written here."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, datetime

import pytest

from core.errors import InputError
from crawler.dedup import NearDuplicateIndex, canonicalize_url, content_hash, hamming, simhash
from crawler.middlewares import backoff_delay, parse_retry_after
from crawler.pipelines.dedup import choose_canonical
from crawler.pipelines.extract import decode_html, looks_binary
from crawler.spiders.feeds import iter_feed_entries
from crawler.spiders.sitemaps import parse_sitemap, sitemaps_from_robots
from tests.support.site import french_text, gzipped, sitemap_index_xml, sitemap_xml

ATOM = (
    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
    '<entry><link rel="alternate" href="/a/1"/></entry><entry><link href="https://x.fr/a/2"/></entry></feed>'
)
RSS_GUID = '<rss version="2.0"><channel><item><guid>https://x.fr/g/1</guid></item></channel></rss>'
NEWS = (
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://x.fr/n/1</loc>'
    "<news:news><news:publication_date>2024-05-01</news:publication_date></news:news></url></urlset>"
)


def test_atom_and_rss_guid_feeds() -> None:
    assert iter_feed_entries(ATOM.encode(), "https://x.fr/feed") == ["https://x.fr/a/1", "https://x.fr/a/2"]
    assert iter_feed_entries(RSS_GUID.encode(), "https://x.fr/rss") == ["https://x.fr/g/1"]


@pytest.mark.parametrize("body", [b"<rss><channel><item>", b"<html><body>not a feed</body></html>", b""])
def test_malformed_feeds_raise_input_errors(body: bytes) -> None:
    with pytest.raises(InputError):
        iter_feed_entries(body, "https://x.fr/rss")


def test_sitemaps_plain_gzip_index_and_news() -> None:
    kind, entries = parse_sitemap(gzipped(sitemap_xml(["https://x.fr/1"])), "https://x.fr/s.xml.gz")
    assert (kind, [e.url for e in entries], entries[0].lastmod) == (
        "urlset",
        ["https://x.fr/1"],
        "2024-03-05",
    )
    kind, entries = parse_sitemap(sitemap_index_xml(["https://x.fr/s1.xml"]).encode(), "https://x.fr/i.xml")
    assert (kind, entries[0].url) == ("sitemapindex", "https://x.fr/s1.xml")
    kind, entries = parse_sitemap(NEWS.encode(), "https://x.fr/news.xml")
    assert entries[0].lastmod == "2024-05-01"
    robots = b"User-agent: *\nSitemap: /sitemap.xml\nsitemap: https://x.fr/news.xml\n"
    assert sitemaps_from_robots(robots, "https://x.fr/robots.txt") == [
        "https://x.fr/sitemap.xml",
        "https://x.fr/news.xml",
    ]


@pytest.mark.parametrize("body", [b"<urlset><url><loc>x</url>", b"<html/>", b"\x1f\x8b\x08broken"])
def test_malformed_sitemaps_raise_input_errors(body: bytes) -> None:
    with pytest.raises(InputError):
        parse_sitemap(body, "https://x.fr/sitemap.xml")


def test_url_canonicalisation() -> None:
    assert canonicalize_url("HTTPS://X.fr/a?b=2&utm_source=nl&a=1#top") == "https://x.fr/a?a=1&b=2"
    assert canonicalize_url("https://x.fr") == "https://x.fr/"
    assert choose_canonical("https://x.fr/a?page=1", "https://x.fr/a") == "https://x.fr/a"
    assert choose_canonical("https://x.fr/article", "https://x.fr/") == "https://x.fr/article"
    assert choose_canonical("https://x.fr/article", "https://other.fr/article") == "https://x.fr/article"


def test_content_hash_ignores_whitespace_and_simhash_finds_near_copies() -> None:
    assert content_hash("a  b\nc") == content_hash("a b c")
    text = french_text(7)
    edited = text.replace("habitants", "riverains", 1)
    assert hamming(simhash(text), simhash(edited)) <= 3
    assert hamming(simhash(text), simhash(french_text(8))) > 10
    index = NearDuplicateIndex()
    index.add(simhash(text), "orig")
    assert index.find(simhash(edited)) == "orig"
    assert index.find(simhash(french_text(8))) is None
    assert index.find(simhash(text), exclude="orig") is None


def test_simhash_is_the_bitwise_majority_of_the_shingle_hashes() -> None:
    """Stored simhashes stay comparable: the vectorised SimHash equals its definition, bit by bit."""

    def by_definition(text: str) -> int:
        words = re.findall(r"\w+", text.lower())
        shingles = [" ".join(words[i : i + 3]) for i in range(len(words) - 2)] if len(words) >= 3 else words
        digests = [hashlib.blake2b(s.encode(), digest_size=8).digest() for s in shingles]
        hashes = [int.from_bytes(d, "big") for d in digests]
        return sum(1 << bit for bit in range(64) if sum(h >> bit & 1 for h in hashes) > len(hashes) / 2)

    texts = [french_text(7), french_text(8)[:300], "deux mots", "Été à Saint-Denis : 3 ateliers", ""]
    for text in texts:
        assert simhash(text) == by_definition(text), text
    assert simhash(french_text(7)) != 0 and simhash("") == 0


def test_decoding_and_binary_detection() -> None:
    body = "Les élèves ont créé une fresque à côté de l'école. ".encode("cp1252") * 3
    text, repaired = decode_html(body, "utf-8")
    assert repaired and "élèves" in text
    assert decode_html("déjà".encode(), None) == ("déjà", False)
    assert looks_binary(bytes(range(256)))
    assert not looks_binary(b"<html>Bonjour</html>")


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    rng = random.Random(7)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (30, 60.0)):
        delays = [backoff_delay(0.5, attempt, rng=rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 40  # jittered: retries of many pages do not come back in step
    assert backoff_delay(0.5, 1, b"7") == 7.0
    assert backoff_delay(0.5, 1, b"3600") == 60.0


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(b"Sun, 01 Mar 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("Sun, 01 Mar 2026 11:00:00 GMT", now) == 0.0  # already past
    assert parse_retry_after(b"  12 ", now) == 12.0
    assert parse_retry_after(b"demain", now) is None and parse_retry_after(None, now) is None
