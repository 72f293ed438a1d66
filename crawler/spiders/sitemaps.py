"""Sitemaps, sitemap indexes (incl. gzip and news sitemaps) and the sitemaps that robots.txt declares."""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

from core.errors import InputError

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
_PARSER = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)


@dataclass
class SitemapEntry:
    """One ``<loc>`` with its last modification date, if given."""

    url: str
    lastmod: str | None = None


def _maybe_gunzip(body: bytes, url: str) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        with gzip.GzipFile(fileobj=__import__("io").BytesIO(body)) as handle:
            data = handle.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(
            f"corrupt gzip sitemap {url}: {exc}", hint="the publisher's sitemap is broken"
        ) from exc
    if len(data) > MAX_SITEMAP_BYTES:
        raise InputError(f"sitemap {url} is larger than 50 MB uncompressed", hint="split it (sitemaps.org)")
    return data


def parse_sitemap(body: bytes, url: str) -> tuple[str, list[SitemapEntry]]:
    """Return (``"urlset"`` or ``"sitemapindex"``, entries); ``InputError`` when malformed."""
    data = _maybe_gunzip(body, url)
    try:
        root = etree.fromstring(data.strip(), parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"malformed sitemap {url}: {exc}", hint="the publisher's sitemap is broken") from exc
    kind = root.tag.split("}")[-1]
    if kind not in ("urlset", "sitemapindex"):
        raise InputError(f"{url} is not a sitemap (root <{kind}>)", hint="check the sitemap URL")
    entries = []
    for node in root:
        if not isinstance(node.tag, str):
            continue
        loc = node.find("{*}loc")
        if loc is None or not (loc.text or "").strip():
            continue
        lastmod = node.find("{*}lastmod")
        if lastmod is None:
            lastmod = node.find(".//{*}publication_date")  # Google News sitemaps
        entries.append(
            SitemapEntry(
                urljoin(url, loc.text.strip()),
                (lastmod.text or "").strip() or None if lastmod is not None else None,
            )
        )
    return kind, entries


def sitemaps_from_robots(body: bytes, base_url: str) -> list[str]:
    """``Sitemap:`` lines of a robots.txt."""
    found = []
    for line in body.decode("utf-8", errors="replace").splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() == "sitemap" and value.strip():
            found.append(urljoin(base_url, value.strip()))
    return found
