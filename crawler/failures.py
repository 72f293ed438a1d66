"""Name the kind of a failed fetch, for the per-kind error counters."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer, error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

try:  # Scrapy >= 2.14 raises its own cancellation error for oversized pages
    from scrapy.exceptions import DownloadCancelledError
except ImportError:  # pragma: no cover - older Scrapy
    DownloadCancelledError = defer.CancelledError  # type: ignore[misc,assignment]  # same meaning


def classify_failure(failure: Failure) -> str:
    """``http_404``, ``http_500``, ``timeout``, ``redirect_loop``, ``too_large``, ``connection``..."""
    if failure.check(HttpError):
        return f"http_{failure.value.response.status}"
    if failure.check(IgnoreRequest):
        message = str(failure.value).lower()
        if "robots" in message:
            return "robots_denied"
        if "redirect" in message:
            return "redirect_loop"
        return "ignored"
    if failure.check(error.TimeoutError, error.TCPTimedOutError, defer.TimeoutError):
        return "timeout"
    if failure.check(DownloadCancelledError, defer.CancelledError):
        return "too_large"
    if failure.check(error.DNSLookupError, error.ConnectionRefusedError, error.ConnectError):
        return "connection"
    if failure.check(ResponseFailed, ResponseNeverReceived, error.ConnectionLost):
        return "truncated_response"
    return type(failure.value).__name__.lower()
