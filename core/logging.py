"""Logging setup for entry points only: ``key=value`` context, level from settings."""

from __future__ import annotations

import logging
import sys


class _CurrentStderrHandler(logging.StreamHandler):  # type: ignore[type-arg]  # stream is resolved per write
    """Writes to whatever ``sys.stderr`` is at the time of writing.

    A plain StreamHandler keeps the stream it was created with; under test runners that swap
    ``sys.stderr`` (CliRunner, capture) that stream is closed later and every log line fails.
    """

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 127)} | {10: "\\n", 13: "\\r", 9: "\\t"}


def escape_log_text(text: str) -> str:
    """Control characters written as escapes: a newline in a user name cannot forge a log line."""
    return text.translate(_CONTROL)


class EscapingFormatter(logging.Formatter):
    """Formats the message with its control characters escaped (tracebacks, appended after, stay as is)."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  (stdlib name)
        record.message = escape_log_text(record.message)
        return super().formatMessage(record)


def setup_logging(level: str = "INFO") -> None:
    """Configure the root logger once, writing to stderr."""
    root = logging.getLogger()
    if getattr(root, "_vigie_configured", False):
        root.setLevel(level)
        return
    handler = _CurrentStderrHandler()
    handler.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root._vigie_configured = True  # type: ignore[attr-defined]  # marker attribute on the stdlib logger
    for noisy in ("scrapy", "elastic_transport", "httpx", "urllib3", "twisted", "filelock", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
