"""Downloader middlewares: retries with exponential backoff (and Retry-After) on 429/5xx and timeouts;
redirect loops failed and counted."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 60.0


def backoff_delay(base: float, attempt: int, retry_after: bytes | None = None) -> float:
    """Seconds to wait before retry ``attempt`` (1, 2...): Retry-After if given, else base * 2^(attempt-1)."""
    if retry_after:
        try:
            return min(MAX_BACKOFF_SECONDS, max(0.0, float(retry_after.decode("latin-1").strip())))
        except ValueError:
            pass  # an HTTP date: fall back to exponential backoff
    return min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempt - 1))


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, with the retried request held back by an exponential delay."""

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            response = request.meta.get("_vigie_last_response")
            retry_after = response.headers.get("Retry-After") if isinstance(response, Response) else None
            base = self.crawler.settings.getfloat("VIGIE_BACKOFF_BASE", 1.0)
            retry.meta["vigie_backoff"] = backoff_delay(
                base, int(retry.meta.get("retry_times", 1)), retry_after
            )
            retry.meta.pop("_vigie_last_response", None)
        return retry

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        """Remember the response so Retry-After can be read, then retry as Scrapy does."""
        request.meta["_vigie_last_response"] = response
        result = super().process_response(request, response)
        request.meta.pop("_vigie_last_response", None)
        return result

    async def process_request(self, request: Request, spider: Any = None) -> None:
        """Wait the backoff delay of a retried request before it is downloaded."""
        delay = request.meta.pop("vigie_backoff", 0)
        if delay:
            log.debug("backoff seconds=%.2f url=%s", delay, request.url)
            await asyncio.sleep(delay)


class LoopAwareRedirectMiddleware(RedirectMiddleware):
    """Scrapy's redirects, with a loop (A -> B -> A) failed at once as ``redirect loop``.

    Without this, the second request to A is dropped silently by the duplicate filter and the page is
    neither stored nor counted.
    """

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if redirected.url in chain:
            hops = " -> ".join([*chain, redirected.url])
            raise IgnoreRequest(f"redirect loop: {hops}")
        result: Request = super()._redirect(redirected, request, reason)
        return result
