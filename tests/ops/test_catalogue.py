"""The shipped sources catalogue: valid for the crawler, big enough, no duplicates, every kind present."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from core.domain import SOURCE_KINDS
from crawler.sources import check_sources, load_sources
from tests.support.cli import run_vigie

CATALOGUE = Path(__file__).resolve().parents[2] / "sources" / "catalogue.yaml"


def test_catalogue_validates_with_the_crawler_schema() -> None:
    sources, problems = check_sources(CATALOGUE)
    assert problems == []
    assert len(sources) >= 100


def test_catalogue_has_no_duplicate_ids_urls_or_names() -> None:
    sources = load_sources(CATALOGUE)
    ids = Counter(s.id for s in sources)
    urls = Counter(u for s in sources for u in s.all_urls())
    names = Counter(s.label for s in sources)
    assert [k for k, n in ids.items() if n > 1] == []
    assert [k for k, n in urls.items() if n > 1] == []
    assert [k for k, n in names.items() if n > 1] == []


def test_catalogue_covers_every_kind_and_is_french() -> None:
    sources = load_sources(CATALOGUE)
    kinds = Counter(s.kind for s in sources)
    assert set(kinds) == set(SOURCE_KINDS)
    assert kinds["press"] >= 40 and kinds["call_for_projects"] >= 20 and kinds["association"] >= 20
    assert {s.language for s in sources} == {"fr"}
    # Real sites only: no placeholder host, https everywhere.
    for source in sources:
        for url in source.all_urls():
            parts = urlsplit(url)
            assert parts.scheme == "https", url
            assert not parts.hostname.endswith((".example", ".example.fr", ".test", "localhost")), url


def test_vigie_sources_check_accepts_the_catalogue() -> None:
    done = run_vigie(["sources", "check", str(CATALOGUE)], timeout=120)
    assert done.returncode == 0, done.stderr
    assert "all valid" in done.stdout


def test_entry_urls_stay_inside_each_source_allowed_domains() -> None:
    for source in load_sources(CATALOGUE):
        domains = source.domains
        for url in source.all_urls():
            host = urlsplit(url).hostname or ""
            assert any(host == d or host.endswith("." + d) for d in domains), (source.id, url, domains)
