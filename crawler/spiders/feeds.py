"""RSS and Atom feeds: the entry links they list."""

from __future__ import annotations

from urllib.parse import urljoin

from lxml import etree

from core.errors import InputError

_PARSER = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=False)


def iter_feed_entries(body: bytes, base_url: str) -> list[str]:
    """Absolute entry URLs of an RSS 2.0, RSS 1.0 (RDF) or Atom feed; ``InputError`` if malformed."""
    try:
        root = etree.fromstring(body.strip(), parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise InputError(f"malformed feed {base_url}: {exc}", hint="the publisher's feed is broken") from exc
    links: list[str] = []
    for item in root.iter("{*}item", "{*}entry"):
        href = None
        for link in item.iter("{*}link"):
            if link.get("href") and link.get("rel", "alternate") == "alternate":
                href = link.get("href")
                break
            if link.text and link.text.strip():
                href = link.text.strip()
                break
        if href is None:
            guid = item.find("{*}guid")
            if guid is not None and guid.text and guid.get("isPermaLink", "true") != "false":
                href = guid.text.strip()
        if href:
            links.append(urljoin(base_url, href))
    if not links and root.tag.split("}")[-1] not in ("rss", "feed", "RDF"):
        raise InputError(
            f"{base_url} is not an RSS or Atom feed (root <{root.tag}>)", hint="check the feed URL"
        )
    return links
