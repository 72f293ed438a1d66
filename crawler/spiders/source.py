"""The generic spider: one per source, reading its feeds, sitemaps and listings (with pagination)."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from core.errors import InputError
from crawler.context import CrawlContext
from crawler.dedup import canonicalize_url
from crawler.failures import classify_failure
from crawler.spiders.feeds import iter_feed_entries
from crawler.spiders.sitemaps import parse_sitemap, sitemaps_from_robots
from crawler.stats import PREFIX

log = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPES = ("application/pdf", "application/x-pdf")


class SourceSpider(scrapy.Spider):
    """Feeds, sitemaps and listing pages of one `SourceConfig`; yields article items for the pipelines."""

    name = "source"

    def __init__(self, context: CrawlContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.context = context
        self.source = context.source
        self.allowed_domains = context.source.domains
        self._articles = [re.compile(p) for p in self.source.article_patterns]
        self._listings = [re.compile(p) for p in self.source.listing_patterns]
        self._skipped: set[str] = set()
        self._listing_count = 0

    # --- counters -------------------------------------------------------------------------------
    def count(self, name: str, value: int = 1) -> None:
        """Increment one ``vigie/`` counter."""
        self.crawler.stats.inc_value(PREFIX + name, value)

    def on_error(self, failure: Failure) -> None:
        """Errback: count the failure by kind and log it with its URL; the crawl goes on."""
        kind = classify_failure(failure)
        url = getattr(getattr(failure, "request", None), "url", None) or "?"
        if kind == "robots_denied":
            return  # counted by Scrapy's robots.txt middleware
        self.count(f"error/{kind}")
        log.warning("fetch failed kind=%s url=%s detail=%s", kind, url, failure.getErrorMessage()[:200])

    # --- start ----------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[Any]:
        """Feeds, sitemaps (or robots.txt) and start pages, always fetched afresh."""
        for url in self.source.feeds:
            yield scrapy.Request(url, self.parse_feed, errback=self.on_error, dont_filter=True)
        for url in self.source.sitemaps:
            callback = self.parse_robots if url.endswith("/robots.txt") else self.parse_sitemap
            yield scrapy.Request(url, callback, errback=self.on_error, dont_filter=True)
        for url in self.source.start_urls:
            meta = {"role": "listing", "depth": 0, "canonical": canonicalize_url(url)}
            yield scrapy.Request(url, self.parse_page, errback=self.on_error, meta=meta)

    # --- discovery ------------------------------------------------------------------------------
    def is_article(self, url: str) -> bool:
        """Article URL by the source's patterns (every URL is a candidate when none are set)."""
        return not self._articles or any(p.search(url) for p in self._articles)

    def is_listing(self, url: str) -> bool:
        """Listing or pagination URL by the source's patterns."""
        return any(p.search(url) for p in self._listings)

    def in_scope(self, url: str) -> bool:
        """http(s) URL on one of the source's domains (or a sub-domain)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return parts.scheme in ("http", "https") and any(
            host == d or host.endswith("." + d) for d in self.allowed_domains
        )

    def article_request(self, url: str, depth: int) -> scrapy.Request | None:
        """A request for an article, conditional when the page is known; None when already done."""
        canonical = canonicalize_url(url)
        known = self.context.lookup(canonical)
        if known is not None and known.crawl_run_id in self.context.resumed_run_ids:
            if canonical not in self._skipped:
                self._skipped.add(canonical)
                self.count("resumed_skipped")
            return None
        headers = {}
        if known is not None and known.etag:
            headers["If-None-Match"] = known.etag
        if known is not None and known.last_modified:
            headers["If-Modified-Since"] = known.last_modified
        meta = {"role": "article", "depth": depth, "canonical": canonical, "handle_httpstatus_list": [304]}
        return scrapy.Request(url, self.parse_page, errback=self.on_error, headers=headers, meta=meta)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """robots.txt given as a sitemap: follow the sitemaps it declares."""
        for url in sitemaps_from_robots(response.body, response.url):
            yield scrapy.Request(url, self.parse_sitemap, errback=self.on_error)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """RSS/Atom feed: every entry on the source's domains is an article."""
        self.count("feeds")
        try:
            entries = iter_feed_entries(response.body, response.url)
        except InputError as exc:
            self.count("error/bad_feed")
            log.warning("bad feed url=%s error=%s", response.url, exc.message[:200])
            return
        for url in entries:
            request = self.article_request(url, 1) if self.in_scope(url) else None
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """Sitemap index (follow the child sitemaps) or URL set (article URLs matching the patterns)."""
        self.count("sitemaps")
        try:
            kind, entries = parse_sitemap(response.body, response.url)
        except InputError as exc:
            self.count("error/bad_sitemap")
            log.warning("bad sitemap url=%s error=%s", response.url, exc.message[:200])
            return
        for entry in entries:
            if not self.in_scope(entry.url):
                continue
            if kind == "sitemapindex":
                yield scrapy.Request(entry.url, self.parse_sitemap, errback=self.on_error)
            elif self.is_article(entry.url):
                request = self.article_request(entry.url, 1)
                if request is not None:
                    yield request

    def follow_links(self, response: Response, depth: int) -> Iterator[scrapy.Request]:
        """Links of an HTML page: pagination/listing pages, then articles within the depth limit."""
        for href in response.xpath("//a/@href").getall():
            url = urljoin(response.url, href.strip()).split("#")[0]
            if not self.in_scope(url):
                continue
            if self.is_listing(url):
                if self._listing_count < self.context.max_listing_pages:
                    self._listing_count += 1
                    meta = {"role": "listing", "depth": depth, "canonical": canonicalize_url(url)}
                    yield scrapy.Request(url, self.parse_page, errback=self.on_error, meta=meta)
            elif depth + 1 <= self.source.max_depth and self.is_article(url):
                request = self.article_request(url, depth + 1)
                if request is not None:
                    yield request

    # --- pages ----------------------------------------------------------------------------------
    def parse_page(self, response: Response) -> Iterator[Any]:
        """An article or listing page: follow its links, and hand articles to the pipelines."""
        role = response.meta.get("role", "article")
        depth = int(response.meta.get("depth", 0))
        if role == "article":
            self.count("fetched")
            if response.status == 304:
                self.count("not_modified")
                self.count("unchanged")
                return
        content_type = (
            response.headers.get("Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        )
        is_pdf = content_type in PDF_TYPES or response.body[:5] == b"%PDF-"
        if not is_pdf and content_type not in HTML_TYPES and content_type:
            self.count("error/content_type")
            log.warning("skipped content type=%s url=%s", content_type, response.url)
            return
        if role == "listing":
            self.count("listings")
        if not is_pdf and (role == "listing" or depth < self.source.max_depth):
            yield from self.follow_links(response, depth)
        if role == "article" or self.stores_listing(response.url):
            yield {
                "url": response.url,
                "canonical": response.meta["canonical"],
                "status": response.status,
                "body": response.body,
                "encoding": getattr(response, "encoding", None),
                "is_pdf": is_pdf,
                "etag": response.headers.get("ETag", b"").decode("latin-1") or None,
                "last_modified": response.headers.get("Last-Modified", b"").decode("latin-1") or None,
            }

    def stores_listing(self, url: str) -> bool:
        """Start pages are stored for ad hoc crawls, or when they match the article patterns."""
        return self.context.store_start_pages or bool(self._articles and self.is_article(url))
