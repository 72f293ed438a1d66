"""The demo website serves our pages, with absolute URLs in its feed and sitemap."""

from __future__ import annotations

import httpx

from vigie.demo_site import DemoSite


def test_feed_and_sitemap_point_at_the_running_server() -> None:
    with DemoSite() as site:
        base = site.base_url
        feed = httpx.get(f"{base}/presse/feed.xml")
        sitemap = httpx.get(f"{site.base_url}/sitemap.xml")
        page = httpx.get(f"{site.base_url}/presse/2026/10/fablab-jeunes-minguettes.html")
    assert feed.status_code == 200 and "__BASE__" not in feed.text
    assert f"{base}/presse/2026/10/fablab-jeunes-minguettes.html" in feed.text
    assert f"{base}/appels/laureats-2026.html" in sitemap.text
    assert "Minguettes" in page.text and page.headers["content-type"].startswith("text/html")


def test_a_missing_page_is_a_404() -> None:
    with DemoSite() as site:
        assert httpx.get(f"{site.base_url}/nope.html").status_code == 404
