"""Name the kind of a failed fetch, for the per-kind error counters."""

from __future__ import annotations

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer, error
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

_TIMEOUTS = tuple(
    getattr(scrapy_errors, name) for name in ("DownloadTimeoutError",) if hasattr(scrapy_errors, name)
)
_CANCELLED = tuple(
    getattr(scrapy_errors, name) for name in ("DownloadCancelledError",) if hasattr(scrapy_errors, name)
)
_CONNECTION = tuple(
    getattr(scrapy_errors, name)
    for name in ("DownloadConnectionRefusedError", "CannotResolveHostError")
    if hasattr(scrapy_errors, name)
)
_DATA_LOSS = tuple(
    getattr(scrapy_errors, name)
    for name in ("ResponseDataLossError", "DownloadFailedError")
    if hasattr(scrapy_errors, name)
)


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
    if failure.check(error.TimeoutError, error.TCPTimedOutError, defer.TimeoutError, *_TIMEOUTS):
        return "timeout"
    if failure.check(defer.CancelledError, *_CANCELLED):
        return "too_large"
    if failure.check(error.DNSLookupError, error.ConnectionRefusedError, error.ConnectError, *_CONNECTION):
        return "connection"
    if failure.check(ResponseFailed, ResponseNeverReceived, error.ConnectionLost, *_DATA_LOSS):
        return "truncated_response"
    return type(failure.value).__name__.lower()
