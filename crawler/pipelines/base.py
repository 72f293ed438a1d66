"""What every pipeline shares: the crawl context and the ``vigie/`` counters."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.context import CrawlContext
from crawler.stats import PREFIX

log = logging.getLogger(__name__)


class CountingPipeline:
    """Base: reaches the crawl context through the spider and increments named counters."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        """Scrapy's constructor hook."""
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        """The context of the running spider."""
        return self.crawler.spider.context  # type: ignore[union-attr,no-any-return]  # set by SourceSpider

    def count(self, name: str, value: int = 1) -> None:
        """Increment ``vigie/<name>``."""
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(PREFIX + name, value)

    def drop(self, counter: str, message: str) -> DropItem:
        """Count and build the DropItem to raise."""
        self.count(counter)
        if counter.startswith("error/"):
            log.warning("page dropped kind=%s %s", counter.removeprefix("error/"), message)
        else:
            log.info("page not stored reason=%s %s", counter, message)
        return DropItem(message, log_level="DEBUG")  # logged above with its kind, when it is an error
