"""A small French local-news site on 127.0.0.1 (port 0) for the watch tests: sitemap, robots.txt, articles.

A gate instead of a delay: with ``open_pages=N`` only the first N articles are served at once; the others
wait until the test calls `release()` (or the site closes). So a test can act "mid-crawl" for certain,
whatever the machine's speed, and never depends on a timing window.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

QUARTIERS = [
    ("Les Minguettes", "Vénissieux", "un atelier de réparation de vélos tenu par des jeunes du quartier"),
    ("La Paillade", "Montpellier", "une épicerie solidaire qui livre les personnes âgées à domicile"),
    ("Le Mirail", "Toulouse", "un fablab ouvert aux collégiens le mercredi après-midi"),
    ("Les Aubiers", "Bordeaux", "une conciergerie de quartier qui emploie des habitants en insertion"),
    ("Hautepierre", "Strasbourg", "un jardin partagé sur le toit d'un parking désaffecté"),
    ("Bellevue", "Nantes", "une radio associative animée par des lycéennes"),
    ("Le Blosne", "Rennes", "une plateforme de covoiturage solidaire vers les zones d'emploi"),
    ("Les Tarterêts", "Corbeil-Essonnes", "une école du numérique pour les demandeurs d'emploi"),
    ("La Grand'Mare", "Rouen", "une ressourcerie installée dans une ancienne agence bancaire"),
    ("Les Izards", "Toulouse", "un café des parents à la sortie de l'école élémentaire"),
    ("Le Val Fourré", "Mantes-la-Jolie", "une cuisine partagée où des mères de famille créent leur traiteur"),
    ("Kervénanec", "Lorient", "un service de médiation numérique dans le centre social"),
]


def article_html(index: int) -> str:
    """One article, distinct in words and facts from every other."""
    quartier, commune, projet = QUARTIERS[index % len(QUARTIERS)]
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>{quartier} : {projet.split(" ")[1]} n°{index}</title>
<meta property="article:published_time" content="2026-01-{index % 27 + 1:02d}T08:00:00+01:00">
</head><body><header><nav><a href="/">Accueil</a></nav></header><article>
<h1>À {commune}, dans le quartier {quartier}, {projet} (n°{index})</h1>
<p>Depuis la rentrée, les habitants du quartier {quartier} à {commune} peuvent compter sur {projet}.
Le projet numéro {index} est porté par une association locale créée par trois voisines.</p>
<p>« Nous voulions une réponse concrète aux besoins du quartier {quartier} », explique la présidente.
Le bailleur social met le local à disposition gratuitement et la ville de {commune} finance un poste.</p>
<p>Soixante-dix familles ont déjà participé à l'initiative {index}, et le contrat de ville prévoit de
l'étendre à deux autres quartiers prioritaires de {commune} l'an prochain si le bilan est bon.</p>
</article><footer>Journal de quartier, édition locale</footer></body></html>"""


class LocalNewsSite:
    """A threaded HTTP server with ``pages`` articles listed in /sitemap.xml; a context manager."""

    def __init__(self, pages: int = 12, open_pages: int | None = None) -> None:
        self.pages = pages
        self.open_pages = pages if open_pages is None else open_pages
        self.gate = threading.Event()
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def article_urls(self) -> list[str]:
        """Every article URL of the site."""
        return [f"{self.base_url}/actualites/2026/article-{i}.html" for i in range(self.pages)]

    def _body(self, path: str) -> tuple[int, str, str]:
        if path == "/robots.txt":
            return 200, "text/plain", f"User-agent: *\nAllow: /\nSitemap: {self.base_url}/sitemap.xml\n"
        if path == "/sitemap.xml":
            urls = "".join(f"<url><loc>{u}</loc></url>" for u in self.article_urls())
            xml = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
            return 200, "application/xml", xml
        if path.startswith("/actualites/2026/article-") and path.endswith(".html"):
            index = int(path.rsplit("-", 1)[1].removesuffix(".html"))
            if 0 <= index < self.pages:
                if index >= self.open_pages:
                    # Held until the test releases the gate (bounded, so a failed test cannot hang).
                    self.gate.wait(timeout=300)
                return 200, "text/html; charset=utf-8", article_html(index)
        return 404, "text/plain", "introuvable"

    def __enter__(self) -> LocalNewsSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  # http.server naming
                path = self.path.split("?", 1)[0]
                with site._lock:
                    site.hits[path] = site.hits.get(path, 0) + 1
                status, ctype, body = site._body(path)
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def release(self) -> None:
        """Open the gate: the held articles are served now."""
        self.gate.set()

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self.gate.set()  # a held request must not keep a handler thread alive
        self._server.shutdown()
        self._server.server_close()
