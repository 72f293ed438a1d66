"""Stable identifiers shared by every area: a page id is derived from its canonical URL."""

from __future__ import annotations

import hashlib


def make_page_id(canonical_url: str) -> str:
    """The page id contract: ``sha1(canonical_url).hexdigest()[:16]``."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]
