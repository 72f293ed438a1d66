"""Pipeline 1: raw response body -> clean text and metadata (HTML or PDF), with bad-input checks."""

from __future__ import annotations

import logging
from typing import Any

from core.errors import InputError
from crawler.extraction import extract_html, extract_pdf
from crawler.pipelines.base import CountingPipeline

log = logging.getLogger(__name__)
MIN_TEXT_CHARS = 80
_REPLACEMENT = "\ufffd"


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


class ExtractPipeline(CountingPipeline):
    """Extracts every article; counts and drops binary, unreadable and empty pages."""

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        """Replace the raw body by an ``Extracted`` result."""
        body: bytes = item.pop("body")
        url = item["url"]
        try:
            if item["is_pdf"]:
                extracted = extract_pdf(body, url)
            else:
                if looks_binary(body):
                    raise self.drop("error/binary_content", f"binary content served as HTML: {url}")
                html, repaired = decode_html(body, item.get("encoding"))
                if repaired:
                    self.count("charset_repaired")
                    log.info("wrong charset repaired url=%s declared=%s", url, item.get("encoding"))
                extracted = extract_html(html, url)
        except InputError as exc:
            log.warning("extraction failed url=%s error=%s", url, exc.message[:200])
            raise self.drop("error/extraction", f"cannot extract {url}") from exc
        if extracted.js_rendered:
            self.count("js_rendered")
            log.info("page built by JavaScript, recorded without text url=%s", url)
        elif len(extracted.text) < MIN_TEXT_CHARS:
            raise self.drop("empty", f"no main text in {url}")
        item["extracted"] = extracted
        return item
