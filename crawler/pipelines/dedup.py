"""Pipeline 2: canonical URL, unchanged pages (same content hash), exact and near duplicates."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from core.ids import make_page_id
from crawler.dedup import MIN_NEAR_DUP_CHARS, NearDuplicateIndex, canonicalize_url, content_hash, simhash
from crawler.pipelines.base import CountingPipeline

log = logging.getLogger(__name__)


def choose_canonical(fetched: str, declared: str | None) -> str:
    """The page's declared canonical URL when it is on the same host and not a site root, else ours."""
    if not declared:
        return fetched
    ours, theirs = urlsplit(fetched), urlsplit(declared)
    if ours.hostname != theirs.hostname or (theirs.path in ("", "/") and ours.path not in ("", "/")):
        return fetched
    return canonicalize_url(declared)


class DedupPipeline(CountingPipeline):
    """Drops unchanged pages; marks exact and near duplicates with ``duplicate_of``."""

    def open_spider(self) -> None:
        """Load the hashes of stored pages."""
        self.near = NearDuplicateIndex()
        self.hashes: dict[str, str] = {}
        for page in self.context.known.values():
            if page.content_hash:
                self.hashes.setdefault(page.content_hash, page.id)
        for page_id, value in self.context.pages.iter_simhashes():
            self.near.add(int(value, 16), page_id)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Fill ``canonical_url``, ``content_hash``, ``simhash`` and ``duplicate_of``."""
        extracted = item["extracted"]
        canonical = choose_canonical(item["canonical"], extracted.canonical_url)
        page_id = make_page_id(canonical)
        digest = item.get("text_hash") or content_hash(extracted.text or item["url"])
        known = self.context.lookup(canonical)
        if known is not None and known.content_hash == digest:
            raise self.drop("unchanged", f"unchanged: {item['url']}")
        item.update(canonical_url=canonical, id=page_id, content_hash=digest, duplicate_of=None, simhash=None)
        original = self.hashes.get(digest)
        if original is not None and original != page_id:
            item["duplicate_of"] = original
            self.count("duplicates")
            log.info("exact duplicate url=%s of=%s", item["url"], original)
            return item
        self.hashes.setdefault(digest, page_id)
        if len(extracted.text) >= MIN_NEAR_DUP_CHARS:
            value = item.get("text_simhash")
            value = simhash(extracted.text) if value is None else value
            item["simhash"] = f"{value:016x}"
            near = self.near.find(value, exclude=page_id)
            if near is not None:
                item["duplicate_of"] = near
                self.count("near_duplicates")
                log.info("near duplicate url=%s of=%s", item["url"], near)
            else:
                self.near.add(value, page_id)
        return item
