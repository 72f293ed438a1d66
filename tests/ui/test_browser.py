"""The web UI in a real browser: login, search with a facet, review, labelling, export, a refused action."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from sqlalchemy import select

from core.storage.tables import AnnotationRow, AuditRow
from tests.support.browser import browser_login
from tests.support.live_app import LiveApp


def test_login_then_search_with_a_facet(page, app_live: LiveApp) -> None:
    browser_login(page, "victor")
    page.goto("/recherche")
    page.get_by_label("Mots-clés").fill("quartier")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"q=quartier"))
    before = int(page.locator("#total").inner_text().split()[0])
    assert before >= 2
    facet = page.locator('fieldset[data-facet="innovation_type"] input[value="services"]')
    facet.check()  # the page submits itself on change
    page.wait_for_url(re.compile(r"innovation_type=services"))
    after = int(page.locator("#total").inner_text().split()[0])
    assert 0 < after < before
    assert page.locator('fieldset[data-facet="innovation_type"] input[value="services"]').is_checked()
    titles = page.locator(".hit h2").all_inner_texts()
    assert any("recyclerie" in t.lower() for t in titles)
    assert not any("jardin" in t.lower() for t in titles)
    assert page.locator(".fragment mark").count() >= 1  # highlights shown


def test_validate_and_correct_a_detection(page, app_live: LiveApp) -> None:
    browser_login(page, "rita")
    page.goto("/revue")
    page.get_by_role("link", name="Un jardin partagé au cœur du quartier de la Reyssouze").click()
    assert page.locator(".doc-text mark").count() == 1  # the evidence sentence is highlighted
    page.wait_for_selector("#carte[data-loaded='1'] path.leaflet-interactive")  # the QPV contour is drawn
    page.keyboard.press("v")  # keyboard shortcut: validate
    page.wait_for_selector("#statut.status-validated")
    assert page.locator("#statut").inner_text() == "validée"
    page.get_by_text("Corriger un champ").click()
    page.get_by_label("Porteur").fill("Collectif Terre Commune")
    page.get_by_role("button", name="Enregistrer la correction").click()
    page.wait_for_selector("#val-carrier:has-text('Collectif Terre Commune')")
    assert page.locator("tr.audit-entry").first.get_attribute("data-action") == "correct"
    page.locator("tr.audit-entry").first.get_by_role("button", name=re.compile("Annuler")).click()
    page.wait_for_selector("#val-carrier:has-text('Association Terre Commune')")  # the undo restored it
    entries = page.locator("tr.audit-entry")
    assert [entries.nth(i).get_attribute("data-action") for i in range(3)] == ["undo", "correct", "validate"]
    assert "Porteur" in entries.nth(0).inner_text()  # French field names (docs/ui.md)
    with app_live.services.session_factory() as session:
        actions = [a.action for a in session.scalars(select(AuditRow).where(AuditRow.doc_id == "d1"))]
    assert actions[-3:] == ["validate", "correct", "undo"]


def test_label_three_items_with_the_keyboard(page, app_live: LiveApp) -> None:
    browser_login(page, "anna")
    page.goto("/annotation")
    page.get_by_role("link", name="Commencer l'annotation").click()
    seen = []
    for _ in range(3):
        page.wait_for_url(re.compile(r"/annotation/d\d$"))
        seen.append(page.url.rsplit("/", 1)[1])
        page.locator("h1").click()  # focus the document, not a field
        page.keyboard.press("o")
        page.keyboard.press("1")
        page.keyboard.press("q")
        page.keyboard.press("Enter")
        page.wait_for_url(lambda url, doc=seen[-1]: not url.endswith(f"/{doc}"))
    assert len(set(seen)) == 3
    with app_live.services.session_factory() as session:
        rows = session.scalars(select(AnnotationRow).where(AnnotationRow.annotator == "anna")).all()
    labelled = {r.doc_id: r.labels for r in rows}
    assert set(seen) <= set(labelled)
    for doc in seen:
        assert labelled[doc]["is_initiative"] is True
        assert labelled[doc]["innovation_types"] == ["sociale"]
        assert labelled[doc]["in_qpv"] is True


def test_export_the_catalogue(page, app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        client.post("/api/review/d2", json={"action": "validate"})
    browser_login(page, "victor")
    page.goto("/catalogue")
    assert "Recyclerie du Pont" in page.locator("table.grid").inner_text()
    with page.expect_download() as info:
        page.locator("#export-csv").click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")  # French CSV: BOM and `;`
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert "d2" in [r["identifiant"] for r in rows]
    assert all(r["statut"] == "validée" for r in rows)
    assert download.suggested_filename == "vigie-export.csv"


def test_a_lower_role_is_refused(page, app_live: LiveApp) -> None:
    browser_login(page, "anna")
    assert page.get_by_role("link", name="Revue").count() == 0  # not offered in the menu
    response = page.goto("/admin/modeles")
    assert response.status == 403
    assert page.get_by_role("heading", name="Action non autorisée").is_visible()
    page.goto("/annotation")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post("/revue/d5/action", form={"action": "validate", "csrf_token": token})
    assert refused.status == 403
    with app_live.client("reviewer") as client:
        assert client.get("/api/review/d5").json()["status"] == "pending"


def test_quick_validate_updates_the_row_in_place(page, app_live: LiveApp) -> None:
    browser_login(page, "rita")
    page.goto("/revue?status=all")
    url = page.url
    row = page.locator("tr#row-d6")
    row.get_by_role("button", name="Valider").click()
    page.wait_for_selector("tr#row-d6 .status-validated")  # swapped by htmx, no page load
    assert page.url == url
    link = page.locator("tr#row-d6 td a").first.get_attribute("href") or ""
    assert link.startswith("/revue/d6?") and "status=all" in link  # the queue's filters survive the swap
    with app_live.client("reviewer") as client:
        assert client.get("/api/review/d6").json()["status"] == "validated"
        client.post("/api/review/d6", json={"action": "reset"})
