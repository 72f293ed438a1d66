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


def setup_logging(level: str = "INFO") -> None:
    """Configure the root logger once, writing to stderr."""
    root = logging.getLogger()
    if getattr(root, "_vigie_configured", False):
        root.setLevel(level)
        return
    handler = _CurrentStderrHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root._vigie_configured = True  # type: ignore[attr-defined]  # marker attribute on the stdlib logger
    for noisy in ("scrapy", "elastic_transport", "httpx", "urllib3", "twisted", "filelock", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
