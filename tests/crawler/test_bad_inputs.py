"""Bad inputs on a real local site: each is counted by kind and logged with its URL; good pages survive."""

from __future__ import annotations

import threading
import time
from email.utils import formatdate

import pytest

from tests.support.crawl import query, run_crawl_cli
from tests.support.site import LocalSite, article_html, french_text, minimal_pdf, rss_xml, sitemap_xml

LATIN1_TEXT = (
    "Les élèves du collège Émile-Zola ont créé une fresque à côté de la médiathèque. " + french_text(5)
)
JS_PAGE = (
    '<html><head><title>Chargement</title></head><body><div id="root"></div>'
    "<noscript>Veuillez activer JavaScript pour lire cet article.</noscript>"
    '<script src="/app.js"></script></body></html>'
)


def build_bad_site(site: LocalSite) -> list[str]:
    """Two good pages and one of each bad input; returns the sitemap paths."""
    base_text = french_text(1)
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    site.add("/2024/ok-1", article_html("Un jardin partagé", base_text))
    site.add("/2024/ok-2", article_html("Un atelier numérique", french_text(2)))
    site.add("/2024/copy-of-ok-1", article_html("Un jardin partagé", base_text))  # syndicated verbatim
    syndicated = french_text(2).replace("est présenté aux habitants", "est montré aux habitants", 1)
    site.add("/2024/syndicated", article_html("Atelier numérique : la reprise", syndicated))
    site.add("/2024/error", "<html>Erreur interne</html>", status=500, etag=False)
    for n in range(12):  # a redirect chain that never ends
        site.add(
            f"/2024/loop?n={n}", b"", status=302, etag=False, headers={"Location": f"/2024/loop?n={n + 1}"}
        )
    site.add("/2024/ping", b"", status=302, etag=False, headers={"Location": "/2024/pong"})  # A <-> B
    site.add("/2024/pong", b"", status=301, etag=False, headers={"Location": "/2024/ping"})
    site.add("/2024/huge", b"<html><body>" + b"<p>bla bla</p>" * (20 * 1024 * 1024 // 14) + b"</body></html>")
    latin1 = article_html("Fresque au collège", LATIN1_TEXT).encode("cp1252")
    site.add("/2024/latin1", latin1, content_type="text/html; charset=utf-8")
    site.add(
        "/2024/nocharset",
        article_html("Sans jeu de caractères", LATIN1_TEXT + french_text(6)),
        content_type="text/html",
    )
    whole = article_html("Page tronquée", french_text(4))
    site.add("/2024/truncated", whole[: int(len(whole) * 0.7)])
    site.add("/2024/binary", bytes(range(256)) * 64, content_type="text/html")
    site.add("/2024/app", JS_PAGE)
    site.add("/2024/data.json", b'{"a": 1}', content_type="application/json")
    pdf_text = (
        "Appel a projets 2024 pour les quartiers prioritaires de la politique de la ville, date limite juin"
    )
    site.add("/2024/appel.pdf", minimal_pdf(pdf_text), content_type="application/pdf")
    site.add(
        "/bad-feed.xml", "<rss><channel><item><link>http://x/unclosed", content_type="application/rss+xml"
    )
    site.add("/bad-sitemap.xml", "<urlset><url><loc>oops</url>", content_type="application/xml")
    return [
        "/2024/ok-1",
        "/2024/ok-2",
        "/2024/copy-of-ok-1",
        "/2024/syndicated",
        "/2024/missing",
        "/2024/error",
        "/2024/loop?n=0",
        "/2024/ping",
        "/2024/huge",
        "/2024/latin1",
        "/2024/nocharset",
        "/2024/truncated",
        "/2024/binary",
        "/2024/app",
        "/2024/data.json",
        "/2024/appel.pdf",
    ]


@pytest.fixture
def bad_site():
    site = LocalSite()
    paths = build_bad_site(site)
    with site.serving():
        site.add("/sitemap.xml", sitemap_xml([site.url(p) for p in paths]))
        site.add("/rss.xml", rss_xml([site.url("/2024/ok-1")]), content_type="application/rss+xml")
        yield site


def test_bad_inputs_are_counted_and_the_crawl_goes_on(settings, tmp_path, bad_site: LocalSite) -> None:
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n  - id: bad\n    kind: association\n"
        f"    feeds: ['{bad_site.url('/bad-feed.xml')}', '{bad_site.url('/rss.xml')}']\n"
        f"    sitemaps: ['{bad_site.url('/sitemap.xml')}', '{bad_site.url('/bad-sitemap.xml')}']\n"
        "    max_depth: 1\n",
        encoding="utf-8",
    )
    # A generous timeout: no page here is slow, so none can time out on a loaded machine (the timeout has
    # its own test below, on a page that never answers).
    run = run_crawl_cli(settings, "--sources", str(sources), VIGIE_CRAWL_TIMEOUT="60")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.errors == {
        "http_404": 1,
        "http_500": 1,
        "redirect_loop": 2,  # the endless chain and the A <-> B loop
        "too_large": 1,
        "binary_content": 1,
        "content_type": 1,
        "bad_feed": 1,
        "bad_sitemap": 1,
    }, run.stats
    counts = run.counts
    assert counts["new"] == 9, run.stats  # ok x2, copy, syndicated, latin1, nocharset, truncated, app, pdf
    assert (counts["duplicates"], counts["near_duplicates"], counts["js_rendered"]) == (1, 1, 1)
    assert len(bad_site.requests_for("/2024/error")) == 3  # two retries with backoff, then counted
    logged = {
        "http_404": "/2024/missing",
        "too_large": "/2024/huge",
        "binary_content": "/2024/binary",
        "redirect_loop": "/2024/loop",
    }
    for kind, path in logged.items():
        assert any(f"kind={kind}" in line and path in line for line in run.stderr.splitlines()), kind
    assert any("kind=redirect_loop" in line and "/2024/ping" in line for line in run.stderr.splitlines())
    assert len(bad_site.requests_for("/2024/ping")) == 1  # the loop is cut, not fetched again

    rows = {
        r[0].rsplit("/", 1)[-1]: r[1:]
        for r in query(settings, "SELECT url, text, duplicate_of, js_rendered, id FROM pages")
    }
    assert "médiathèque" in rows["latin1"][0] and "\ufffd" not in rows["latin1"][0]
    assert "Émile-Zola" in rows["nocharset"][0]
    assert "habitants du quartier" in rows["truncated"][0]
    assert "quartiers prioritaires" in rows["appel.pdf"][0]
    assert rows["app"][0] == "" and rows["app"][2] == 1
    pair = {rows["copy-of-ok-1"][1], rows["ok-1"][1]}
    assert pair == {None, rows["ok-1"][3]} or pair == {None, rows["copy-of-ok-1"][3]}
    near = {rows["syndicated"][1], rows["ok-2"][1]}
    assert near == {None, rows["ok-2"][3]} or near == {None, rows["syndicated"][3]}


def test_a_page_that_never_answers_is_a_timeout_and_the_crawl_goes_on(settings, tmp_path) -> None:
    """The silent page is held behind a gate the test opens only after the crawl: it never answers in time,
    whatever the timeout and the machine's speed. The timeout is short enough to keep the test quick (three
    attempts) and long enough for the small pages around it."""
    site = LocalSite()
    silent = threading.Event()
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    site.add("/2024/silent", article_html("Jamais servi", french_text(3)), gate=silent)
    site.add("/2024/ok", article_html("Un jardin partagé", french_text(1)))
    with site.serving():
        site.add("/sitemap.xml", sitemap_xml([site.url("/2024/silent"), site.url("/2024/ok")]))
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"sources:\n  - id: silent\n    kind: press\n    sitemaps: ['{site.url('/sitemap.xml')}']\n"
            "    max_depth: 0\n",  # the sitemap's two pages only, not the links of their menus
            encoding="utf-8",
        )
        run = run_crawl_cli(settings, "--sources", str(sources), VIGIE_CRAWL_TIMEOUT="5")
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.errors == {"timeout": 1}, run.stats
    assert run.counts["new"] == 1, run.stats
    assert len(site.requests_for("/2024/silent")) == 3  # two retries, then counted once
    assert any("kind=timeout" in line and "/2024/silent" in line for line in run.stderr.splitlines())


def test_429_and_503_are_retried_after_the_delay_the_server_asks(settings, tmp_path) -> None:
    """Retry-After as an HTTP date and in seconds, on a real server; the wait goes through the site's slot."""
    site = LocalSite()
    with site.serving():

        def an_hour_ago() -> dict[str, str]:
            # A date already past means "retry now": 0 s exactly, where the exponential default (base
            # 0.1 s here) is never 0. So the assertion below proves the date was read, with no time window.
            return {"Retry-After": formatdate(time.time() - 3600, usegmt=True)}

        site.add("/2024/busy", article_html("Occupé", french_text(1)), failures=[(429, an_hour_ago)])
        site.add(
            "/2024/down",
            article_html("En panne", french_text(2)),
            failures=[(503, lambda: {"Retry-After": "1"})],
        )
        site.add("/2024/calme", article_html("Calme", french_text(3)))
        site.add(
            "/sitemap.xml", sitemap_xml([site.url(p) for p in ("/2024/busy", "/2024/down", "/2024/calme")])
        )
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"sources:\n  - id: busy\n    kind: press\n    sitemaps: ['{site.url('/sitemap.xml')}']\n",
            encoding="utf-8",
        )
        run = run_crawl_cli(settings, "--sources", str(sources))
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.counts["new"] == 3 and not {"http_429", "http_503"} & set(run.errors), run.stats
    assert len(site.requests_for("/2024/busy")) == len(site.requests_for("/2024/down")) == 2
    waits = {
        line.rsplit("url=", 1)[1].rsplit("/", 1)[1]: float(line.split("seconds=")[1].split()[0])
        for line in run.stderr.splitlines()
        if "backoff slot=127.0.0.1" in line
    }
    assert waits["busy"] == 0.0  # read from the HTTP date, not the exponential default
    assert waits["down"] == 1.0
