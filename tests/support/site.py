"""The one local web site of the tests: a real threaded HTTP server on 127.0.0.1 (port 0).

`serve_handler` starts any handler class on a free port and polls it until it answers (no sleep);
`LocalSite` serves routes added by the test and records every request. A route may sit behind a gate
(`threading.Event`): its requests are held until the test sets the gate (or the site closes), so a test
acts "mid-crawl" for certain instead of relying on a delay. The page builders below give the pages.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

# A gated request waits at most this long (a failed test must not hang); closing the site opens gates.
GATE_TIMEOUT = 300.0

WORDS = [
    "quartier",
    "habitants",
    "association",
    "projet",
    "jardin",
    "partagé",
    "solidarité",
    "jeunes",
    "emploi",
    "insertion",
    "numérique",
    "atelier",
    "mairie",
    "ville",
    "école",
    "culture",
    "sport",
    "santé",
    "logement",
    "mobilité",
    "formation",
    "entreprise",
    "innovation",
    "collectif",
    "bénévoles",
    "centre",
    "social",
    "médiathèque",
    "rénovation",
    "énergie",
    "transport",
    "marché",
    "commerce",
]


def french_text(seed: int, sentences: int = 12) -> str:
    """Deterministic French-looking paragraphs, distinct for each seed."""
    rng = random.Random(seed)
    out = []
    for _ in range(sentences):
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 18)))
        out.append(
            f"Le {words} de la ville est présenté aux habitants du quartier, qui sont {seed} à y croire."
        )
    return " ".join(out)


def article_html(title: str, body: str, date: str = "2024-03-05", extra_head: str = "") -> str:
    """An article page with boilerplate around the main text."""
    paragraphs = "".join(f"<p>{s.strip()}.</p>" for s in body.split(".") if s.strip())
    return (
        f'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta property="article:published_time" content="{date}T08:00:00+01:00">{extra_head}</head>'
        f'<body><nav><a href="/">Accueil</a> <a href="/actualites?page=1">Actualités</a></nav>'
        f"<article><h1>{title}</h1>{paragraphs}</article>"
        f"<footer>Mentions légales - Contact - Plan du site</footer></body></html>"
    )


@dataclass
class Route:
    """One served URL."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True
    gate: threading.Event | None = None
    # Answers given first, one per request, before the route's own: (status, headers made at request time).
    failures: list[tuple[int, Callable[[], dict[str, str]]]] = field(default_factory=list)


class LocalSite:
    """Routes served by a threaded HTTP server; records every request for assertions."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()
        self.base = ""

    def add(self, path: str, body: str | bytes, **kwargs: object) -> None:
        """Serve ``body`` at ``path``."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = Route(data, **kwargs)  # type: ignore[arg-type]

    def url(self, path: str) -> str:
        """Absolute URL of a path on this site."""
        return self.base + path

    def requests_for(self, path: str) -> list[dict[str, str]]:
        """Headers of every request made for ``path``."""
        with self.lock:
            return [headers for hit, headers in self.hits if hit == path]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with site.lock:
                    site.hits.append((self.path, dict(self.headers.items())))
                route = site.routes.get(self.path)
                if route is None:
                    return self._send(404, b"<html><body>Page introuvable</body></html>", "text/html")
                if route.gate is not None:
                    route.gate.wait(GATE_TIMEOUT)
                with site.lock:
                    failure = route.failures.pop(0) if route.failures else None
                if failure is not None:
                    return self._send(failure[0], b"<html>Trop de requetes</html>", "text/html", failure[1]())
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:12] + '"'
                if route.etag and route.status == 200 and self.headers.get("If-None-Match") == etag:
                    return self._send(304, b"", None, {"ETag": etag})
                headers = dict(route.headers)
                if route.etag and route.status == 200:
                    headers["ETag"] = etag
                self._send(route.status, route.body, route.content_type, headers)

            def _send(
                self, status: int, body: bytes, ctype: str | None, headers: dict[str, str] | None = None
            ) -> None:
                try:
                    self.send_response(status)
                    if ctype:
                        self.send_header("Content-Type", ctype)
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    if "Content-Length" not in (headers or {}):
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler

    @contextmanager
    def serving(self) -> Iterator[LocalSite]:
        """Start on a free port, wait until it answers, open every gate and stop on exit."""
        with serve_handler(self._handler()) as base:
            self.base = base
            with self.lock:
                self.hits.clear()
            try:
                yield self
            finally:
                for route in self.routes.values():
                    if route.gate is not None:
                        route.gate.set()  # a held request must not outlive the site


@contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` on 127.0.0.1 (a free port) until the block ends; yields its URL once it answers."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _wait_ready(base + "/__ready__")
        yield base
    finally:
        server.shutdown()
        server.server_close()


def _wait_ready(url: str) -> None:
    """Poll until the server answers (any status), with a bounded number of attempts (no sleep)."""
    for _ in range(200):
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            continue
    raise RuntimeError(f"the local test server at {url} never answered")


XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap_xml(urls: list[str]) -> str:
    """A urlset sitemap."""
    locs = "".join(f"<url><loc>{u}</loc><lastmod>2024-03-05</lastmod></url>" for u in urls)
    return f'{XML_HEAD}<urlset xmlns="{SITEMAP_NS}">{locs}</urlset>'


def sitemap_index_xml(urls: list[str]) -> str:
    """A sitemap index."""
    locs = "".join(f"<sitemap><loc>{u}</loc></sitemap>" for u in urls)
    return f'{XML_HEAD}<sitemapindex xmlns="{SITEMAP_NS}">{locs}</sitemapindex>'


def rss_xml(urls: list[str]) -> str:
    """An RSS 2.0 feed."""
    items = "".join(f"<item><title>Article {i}</title><link>{u}</link></item>" for i, u in enumerate(urls))
    return f'{XML_HEAD}<rss version="2.0"><channel><title>Flux</title>{items}</channel></rss>'


def gzipped(text: str) -> bytes:
    """Gzip-compressed UTF-8 bytes (for .xml.gz sitemaps)."""
    return gzip.compress(text.encode("utf-8"))


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF whose text layer holds ``text`` (ASCII), built by hand with a correct xref."""
    stream = f"BT /F1 12 Tf 50 750 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)
