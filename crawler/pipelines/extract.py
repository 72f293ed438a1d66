"""Pipeline 1: raw response body -> clean text and metadata (HTML or PDF), with bad-input checks.

Extraction is CPU-bound: it runs in a pool of worker processes when the crawl provides one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from core.errors import InputError
from crawler.dedup import MIN_NEAR_DUP_CHARS, content_hash, simhash
from crawler.extraction import Extracted, extract_html, extract_pdf
from crawler.pipelines.base import CountingPipeline

log = logging.getLogger(__name__)
MIN_TEXT_CHARS = 80
_REPLACEMENT = "\ufffd"


@dataclass
class Outcome:
    """What extracting one document gave: a result, or the kind of failure."""

    extracted: Extracted | None
    error: str | None = None
    detail: str = ""
    charset_repaired: bool = False
    content_hash: str | None = None
    simhash: int | None = None

    def with_hashes(self) -> Outcome:
        """Compute the text's hashes here, in the worker, to keep the crawler's event loop free."""
        if self.extracted is not None and self.extracted.text:
            self.content_hash = content_hash(self.extracted.text)
            if len(self.extracted.text) >= MIN_NEAR_DUP_CHARS:
                self.simhash = simhash(self.extracted.text)
        return self


def looks_binary(body: bytes) -> bool:
    """Bytes that are not text: NULs or mostly control bytes in the first 2 KB."""
    head = body[:2048]
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return bool(head) and controls / len(head) > 0.1


def decode_html(body: bytes, declared: str | None) -> tuple[str, bool]:
    """Decode with the declared charset; repair a wrong one (many U+FFFD). Returns (text, repaired)."""
    try:
        text = body.decode(declared or "utf-8", errors="replace")
    except LookupError:
        text = body.decode("utf-8", errors="replace")
    if text.count(_REPLACEMENT) > 3:
        try:
            return body.decode("utf-8"), True
        except UnicodeDecodeError:
            return body.decode("cp1252", errors="replace"), True
    return text, False


def extract_document(body: bytes, url: str, is_pdf: bool, encoding: str | None) -> Outcome:
    """Extract one fetched document (runs in a worker process: plain arguments, picklable result)."""
    try:
        if is_pdf:
            return Outcome(extract_pdf(body, url)).with_hashes()
        if looks_binary(body):
            return Outcome(None, "binary_content", "binary content served as HTML")
        html, repaired = decode_html(body, encoding)
        return Outcome(extract_html(html, url), charset_repaired=repaired).with_hashes()
    except InputError as exc:
        return Outcome(None, "extraction", exc.message[:200])


class ExtractPipeline(CountingPipeline):
    """Extracts every article; counts and drops binary, unreadable and empty pages."""

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Replace the raw body by an ``Extracted`` result."""
        body: bytes = item.pop("body")
        url = item["url"]
        args = (body, url, item["is_pdf"], item.get("encoding"))
        pool = self.context.extract_pool
        if pool is not None:
            outcome = await asyncio.wrap_future(pool.submit(extract_document, *args))
        else:
            outcome = extract_document(*args)
        if outcome.extracted is None:
            raise self.drop(f"error/{outcome.error}", f"{outcome.detail}: {url}")
        if outcome.charset_repaired:
            self.count("charset_repaired")
            log.info("wrong charset repaired url=%s declared=%s", url, item.get("encoding"))
        extracted = outcome.extracted
        if extracted.js_rendered:
            self.count("js_rendered")
            log.info("page built by JavaScript, recorded without text url=%s", url)
        elif len(extracted.text) < MIN_TEXT_CHARS:
            raise self.drop("empty", f"no main text in {url}")
        item["extracted"] = extracted
        item["text_hash"], item["text_simhash"] = outcome.content_hash, outcome.simhash
        return item
