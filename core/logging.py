"""Logging setup for entry points only: ``key=value`` context, level from settings."""

from __future__ import annotations

import logging
import sys


def setup_logging(level: str = "INFO") -> None:
    """Configure the root logger once, writing to stderr."""
    root = logging.getLogger()
    if getattr(root, "_vigie_configured", False):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root._vigie_configured = True  # type: ignore[attr-defined]  # marker attribute on the stdlib logger
    for noisy in ("scrapy", "elastic_transport", "httpx", "urllib3", "twisted", "filelock", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
