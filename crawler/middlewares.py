"""Downloader middlewares: retries on 429/5xx and timeouts with a jittered exponential backoff (or the
server's Retry-After, seconds or HTTP date) applied through the site's download-slot delay; redirect
loops failed and counted."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

log = logging.getLogger(__name__)
MAX_BACKOFF_SECONDS = 60.0


def parse_retry_after(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or HTTP date); None if absent or unreadable."""
    if not value:
        return None
    text = (value.decode("latin-1") if isinstance(value, bytes) else value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; parsedate gives naive for "-0000"
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(
    base: float, attempt: int, retry_after: bytes | str | None = None, rng: random.Random | None = None
) -> float:
    """Seconds before retry ``attempt`` (1, 2...), capped at MAX_BACKOFF_SECONDS.

    The server's Retry-After when it gives one; else "equal jitter": half of base * 2^(attempt-1) plus a
    random part up to the other half, so sites retried at once do not come back in step.
    """
    asked = parse_retry_after(retry_after)
    if asked is not None:
        return min(MAX_BACKOFF_SECONDS, asked)
    ceiling = min(MAX_BACKOFF_SECONDS, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry, the site held back by raising its download-slot delay (no sleep in the downloader).

    The retried request goes back to the scheduler; the slot of its site waits ``delay`` after its last
    download before sending anything, while other sites' slots go on. The slot's own delay comes back at
    the site's next answer that is not retried (AutoThrottle, when on, adjusts it from there).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._slot_delays: dict[str, float] = {}  # slot key -> its delay before the backoff

    def _retry(self, request: Request, reason: Any) -> Request | None:
        retry = super()._retry(request, reason)
        if retry is not None:
            response = request.meta.get("_vigie_last_response")
            retry_after = response.headers.get("Retry-After") if isinstance(response, Response) else None
            base = self.crawler.settings.getfloat("VIGIE_BACKOFF_BASE", 1.0)
            delay = backoff_delay(base, int(retry.meta.get("retry_times", 1)), retry_after)
            self._hold_slot(request, delay)
            retry.meta.pop("_vigie_last_response", None)
        return retry

    def _hold_slot(self, request: Request, delay: float) -> None:
        """Raise the delay of ``request``'s download slot to ``delay`` (never lower it)."""
        downloader = self.crawler.engine.downloader if self.crawler.engine else None
        if downloader is None:
            return
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        slot = downloader.slots.get(key)
        if slot is None:
            return
        self._slot_delays.setdefault(key, slot.delay)
        slot.delay = max(slot.delay, delay)
        self.crawler.stats.inc_value("vigie/backoff_count")
        self.crawler.stats.max_value("vigie/backoff_max_seconds", round(delay, 3))
        log.info("backoff slot=%s seconds=%.2f url=%s", key, delay, request.url)

    def _release_slot(self, request: Request) -> None:
        key = request.meta.get("download_slot")
        if key in self._slot_delays and self.crawler.engine is not None:
            slot = self.crawler.engine.downloader.slots.get(key)
            original = self._slot_delays.pop(key)
            if slot is not None:
                slot.delay = original

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        """Remember the response so Retry-After can be read, then retry as Scrapy does."""
        request.meta["_vigie_last_response"] = response
        result = super().process_response(request, response)
        request.meta.pop("_vigie_last_response", None)
        if result is response:  # answered, not retried: the site is back to its own pace
            self._release_slot(request)
        return result


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
