"""The overview, confirmations and the narrow layout in a real browser (Debian's Chromium)."""

from __future__ import annotations

import pytest

from tests.support.browser import browser_login
from tests.support.live_app import LiveApp

NARROW_PAGES = ("/", "/recherche?q=quartier", "/catalogue", "/catalogue/carte", "/recherches", "/etat",
                "/admin/modeles", "/admin/utilisateurs", "/revue", "/historique")  # fmt: skip


def test_the_dashboard_draws_its_charts_and_map(page, app_live: LiveApp) -> None:
    browser_login(page, "rita")
    assert page.locator("#carte-departements path.dep").count() == 96
    box = page.locator("#carte-departements").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 150  # drawn, not collapsed
    assert page.locator('#carte-departements path[data-dep="01"]').get_attribute("fill") == "#000091"
    assert page.locator("#graphe-mois rect.bar-detected").count() == 5
    page.get_by_role("link", name="revoir les 5 détections en attente").click()
    page.wait_for_url("**/revue")


def test_deleting_a_user_asks_for_confirmation(page, app_live: LiveApp) -> None:
    with app_live.client("admin") as client:
        body = {"username": "yann", "password": "motdepasse-yann", "role": "viewer"}
        client.post("/api/users", json=body).raise_for_status()
    browser_login(page, "ada")
    page.goto("/admin/utilisateurs")
    dialog = page.locator("#supprimer-yann")
    assert not dialog.locator("form").is_visible()  # nothing happens on the first click...
    dialog.locator("summary").click()
    assert "Supprimer le compte « yann »" in dialog.inner_text()
    dialog.get_by_role("button", name="Confirmer la suppression").click()  # ...only on the confirmation
    page.wait_for_url("**/admin/utilisateurs")
    assert page.locator("#supprimer-yann").count() == 0
    assert page.locator("details.confirm:not([open])").count() >= 3  # the others keep theirs, closed


@pytest.mark.parametrize("path", NARROW_PAGES)
def test_pages_fit_a_390_px_screen(browser, app_live: LiveApp, path: str) -> None:
    context = browser.new_context(
        base_url=app_live.url, viewport={"width": 390, "height": 844}, locale="fr-FR"
    )
    page = context.new_page()
    try:
        browser_login(page, "ada")
        page.goto(path)
        overflow = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 391"
            ").slice(0, 5).map(e => e.tagName + '.' + e.className)]"
        )
        assert overflow[0] <= overflow[1], f"{path} scrolls sideways at 390 px: {overflow}"
    finally:
        context.close()
