"""Pipeline 3: idempotent upsert of the page into the system of record."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from core.errors import StorageError
from core.storage.pages import KnownPage
from crawler.pipelines.base import CountingPipeline

log = logging.getLogger(__name__)


class StorePipeline(CountingPipeline):
    """Writes each page (keyed by canonical URL) and counts new and updated pages."""

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Upsert; a storage failure is counted and the crawl goes on."""
        context = self.context
        extracted = item["extracted"]
        fields = {
            "url": item["url"],
            "canonical_url": item["canonical_url"],
            "title": extracted.title,
            "date": extracted.date,
            "author": extracted.author,
            "lang": extracted.lang or context.source.language,
            "text": extracted.text,
            "source": context.source.id,
            "kind": context.source.kind,
            "fetched_at": datetime.now(UTC),
            "content_hash": item["content_hash"],
            "simhash": item["simhash"],
            "duplicate_of": item["duplicate_of"],
            "etag": item["etag"],
            "last_modified": item["last_modified"],
            "http_status": item["status"],
            "js_rendered": extracted.js_rendered,
            "title_source": extracted.sources.get("title") or None,
            "date_source": extracted.sources.get("date") or None,
            "crawl_run_id": context.run_id,
        }
        try:
            page_id, created = context.pages.upsert(fields)
        except StorageError as exc:
            log.error("store failed url=%s error=%s", item["url"], exc.message[:200])
            raise self.drop("error/storage", f"cannot store {item['url']}") from exc
        self.count("new" if created else "updated")
        context.remember(
            item["canonical_url"],
            KnownPage(
                page_id,
                item["url"],
                item["content_hash"],
                item["simhash"],
                item["etag"],
                item["last_modified"],
                context.run_id,
            ),
        )
        return {"id": page_id, "url": item["url"], "created": created}
