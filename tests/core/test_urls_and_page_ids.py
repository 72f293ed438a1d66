"""Canonical URLs without trackers, and migration 0009 re-keying a real SQLite database of the old ids."""

from __future__ import annotations

from pathlib import Path

from core.urls import canonicalize_url, is_tracking_parameter
from tests.support.page_id_migration import check_page_id_migration

TRACKERS = (
    "utm_source=nl&utm_medium=mail&mtm_campaign=a&mtm_kwd=b&pk_campaign=c&pk_kwd=d&msclkid=e&igshid=f"
    "&fbclid=g&gclid=h&dclid=i&yclid=j&ttclid=k&xtor=RSS-1&at_medium=l&mc_cid=m&mc_eid=n&_ga=o&ref=p"
)


def test_tracking_parameters_are_dropped_content_parameters_kept() -> None:
    assert canonicalize_url(f"https://Ville.EXAMPLE.fr/actu?id=12&{TRACKERS}#haut") == (
        "https://ville.example.fr/actu?id=12"
    )
    # Names that courlan's broad rule would drop (ga..., ref..., aff...) name content on French sites.
    for name in ("galerie", "gare", "affaire", "reference", "page", "p", "id", "quartier", "source"):
        assert not is_tracking_parameter(name), name
    assert canonicalize_url("https://x.fr/a?galerie=2&page=3&utm_term=z") == "https://x.fr/a?galerie=2&page=3"


def test_canonical_form_is_stable_and_idempotent() -> None:
    urls = [
        "HTTPS://X.fr/a?b=2&utm_source=nl&a=1#top",
        "https://x.fr",
        "https://x.fr:443/a/../b/?mtm_source=x",
        "http://xn--bcher-kva.example/é?q=été",
        " https://x.fr/liste?page=2 ",
        "https://web.archive.org/web/2007/http://www.example.fr/a.html",
        "https://www.example.de/texte.html;jsessionid=FD52ED97.1_cid382?x=1",
    ]
    assert canonicalize_url(urls[0]) == "https://x.fr/a?a=1&b=2"
    assert canonicalize_url(urls[1]) == "https://x.fr/"
    assert canonicalize_url(urls[2]) == "https://x.fr/b/"
    assert canonicalize_url(urls[5]) == urls[5]  # the archived URL inside the path is kept whole
    assert canonicalize_url(urls[6]) == "https://www.example.de/texte.html?x=1"
    for url in urls:
        once = canonicalize_url(url)
        assert canonicalize_url(once) == once, url


def test_migration_merges_tracker_duplicates_and_loses_nothing(tmp_path: Path) -> None:
    check_page_id_migration(f"sqlite:///{tmp_path / 'old.db'}")
