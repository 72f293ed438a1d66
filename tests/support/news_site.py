"""A small French local-news site for the watch tests (sitemap, robots.txt, articles), served by `LocalSite`.

A gate instead of a delay: with ``open_pages=N`` only the first N articles are served at once; the others
wait until the test calls `release()` (or the site closes). So a test can act "mid-crawl" for certain,
whatever the machine's speed, and never depends on a timing window.
"""

from __future__ import annotations

import threading
from contextlib import ExitStack

from tests.support.site import LocalSite, sitemap_xml

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
    """``pages`` articles listed in /sitemap.xml, the ones from ``open_pages`` on held; a context manager."""

    def __init__(self, pages: int = 12, open_pages: int | None = None) -> None:
        self.pages = pages
        self.open_pages = pages if open_pages is None else open_pages
        self.gate = threading.Event()
        self.site = LocalSite()
        self._stack = ExitStack()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        assert self.site.base, "the site is not serving"
        return self.site.base

    def article_urls(self) -> list[str]:
        """Every article URL of the site."""
        return [self.site.url(_article_path(i)) for i in range(self.pages)]

    def __enter__(self) -> LocalNewsSite:
        for index in range(self.pages):
            gate = self.gate if index >= self.open_pages else None
            self.site.add(_article_path(index), article_html(index), gate=gate)
        self._stack.enter_context(self.site.serving())
        robots = f"User-agent: *\nAllow: /\nSitemap: {self.base_url}/sitemap.xml\n"
        self.site.add("/robots.txt", robots, content_type="text/plain")
        self.site.add("/sitemap.xml", sitemap_xml(self.article_urls()), content_type="application/xml")
        return self

    def release(self) -> None:
        """Open the gate: the held articles are served now."""
        self.gate.set()

    def __exit__(self, *exc: object) -> None:
        self._stack.close()  # opens the gate, then stops the server


def _article_path(index: int) -> str:
    return f"/actualites/2026/article-{index}.html"
