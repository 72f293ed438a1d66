"""What one source's crawl needs besides Scrapy: the source, storage, and what is already known."""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

from core.storage.pages import CrawlRunRepository, KnownPage, PageRepository
from crawler.dedup import canonicalize_url
from crawler.sources import SourceConfig


@dataclass
class CrawlContext:
    """Shared by the spider and the pipelines of one source's crawl."""

    source: SourceConfig
    run_id: int
    pages: PageRepository
    runs: CrawlRunRepository
    known: dict[str, KnownPage] = field(default_factory=dict)
    resumed_run_ids: set[int] = field(default_factory=set)
    store_start_pages: bool = False
    max_listing_pages: int = 200
    extract_pool: Executor | None = None

    def __post_init__(self) -> None:
        # a page is looked up by its canonical URL and by the canonical form of the URL it was fetched at
        self._by_url = {canonicalize_url(p.url): p for p in self.known.values() if p.url}

    def lookup(self, canonical_url: str) -> KnownPage | None:
        """The stored page for a canonical URL, if any."""
        return self.known.get(canonical_url) or self._by_url.get(canonical_url)

    def remember(self, canonical_url: str, page: KnownPage) -> None:
        """Record a page stored during this run."""
        self.known[canonical_url] = page
