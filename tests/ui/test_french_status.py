"""/etat tells the truth: the last crawl of each source comes from the crawl store (`vigie crawl` too)."""

from __future__ import annotations

from core.storage.pages import CrawlRunRepository
from core.storage.tables.crawl import PageRow
from search_api.app.auth import add_user
from search_api.app.factory import create_app
from search_api.app.services import AppServices
from tests.support.live_app import PASSWORD, run_app
from tests.support.web import login

SOURCES = ("presse-ain", "asso-web", "mairie")


def test_status_page_shows_three_crawled_sources(settings, db) -> None:
    _, factory = db
    runs = CrawlRunRepository(factory)
    for n, source in enumerate(SOURCES):  # as `vigie crawl` leaves them: no watch state at all
        run_id = runs.start(source)
        status = "killed" if source == "mairie" else "finished"
        runs.finish(run_id, status, {"counts": {"new": 3 + n}, "errors_total": 0})
    later = runs.start("presse-ain")  # a second run of the same source: the latest one is shown
    runs.finish(later, "finished", {"counts": {"new": 1}})
    with factory() as session:
        session.add(PageRow(id="p1", canonical_url="https://exemple.test/1", text="t", source="asso-web"))
        add_user(session, "victor", PASSWORD, "viewer")
        session.commit()
    app = create_app(AppServices(settings=settings, session_factory=factory, search_engine=None))
    with run_app(app) as url:
        client = login(url, "victor", PASSWORD)
        api = client.get("/api/status").json()
        html = client.get("/etat").text
        client.close()
    by_id = {s["source_id"]: s for s in api["sources"]}
    assert set(by_id) == set(SOURCES)
    assert by_id["asso-web"]["last_crawl_new"] == 4 and by_id["asso-web"]["pages"] == 1
    assert by_id["mairie"]["last_crawl_status"] == "killed"
    assert by_id["presse-ain"]["last_crawl_new"] == 1  # the latest run (the second one) is shown
    assert all(s["last_crawl_at"] for s in by_id.values())
    assert "Aucune source n'a encore été collectée" not in html
    for source in SOURCES:
        assert f'data-source="{source}"' in html
    assert "arrêté" in html and "terminé" in html and "jamais" not in html
    assert "Pages à analyser" in html  # queues by French name, not analysis_queue
