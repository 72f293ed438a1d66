"""Which stored URLs may become links: http(s) only, so a crawled `javascript:` or `data:` URL stays text."""

from __future__ import annotations

from urllib.parse import urlsplit

SAFE_SCHEMES = ("http", "https")


def link_target(url: object) -> str | None:
    """The URL when it is an absolute http(s) URL (control characters refused), else None."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if not text or any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in SAFE_SCHEMES and parts.netloc else None
