"""Accounts in a real browser: API tokens listed and revoked, password change, the in-app document view."""

from __future__ import annotations

import re

import httpx

from search_api.app.auth import add_user
from tests.support.browser import browser_login
from tests.support.live_app import PASSWORD, LiveApp
from tests.support.web import login as http_login


def test_a_viewer_lists_and_revokes_their_tokens(page, app_live: LiveApp) -> None:
    browser_login(page, "victor")
    page.goto("/compte")
    page.get_by_label("Libellé du jeton").fill("script du lundi")
    page.get_by_role("button", name="Créer un jeton").click()
    token = page.locator("#jeton").inner_text()
    row = page.locator("#liste-jetons tr", has_text="script du lundi")
    assert row.count() == 1 and "jamais" in row.inner_text()  # never used, never expires
    assert page.locator("#liste-jetons").get_by_text("tests").count() == 1  # the fixture's token too
    assert page.get_by_role("link", name="Voir les jetons de tous les utilisateurs").count() == 0
    with httpx.Client(base_url=app_live.url, headers={"Authorization": f"Bearer {token}"}) as api:
        assert api.get("/api/me").json()["username"] == "victor"
        row.get_by_role("button", name=re.compile("Révoquer")).click()
        page.wait_for_selector("#flash")
        assert "Jeton révoqué" in page.locator("#flash").inner_text()
        assert page.locator("#liste-jetons tr", has_text="script du lundi").count() == 0
        assert api.get("/api/me").status_code == 401  # refused at once


def test_an_admin_sees_and_revokes_anyones_token(page, app_live: LiveApp) -> None:
    with app_live.services.session_factory() as session:
        from search_api.app.auth import create_api_token

        create_api_token(session, "anna", "jeton d'anna")
    browser_login(page, "ada")
    page.goto("/compte")
    page.get_by_role("link", name="Voir les jetons de tous les utilisateurs").click()
    row = page.locator("#liste-jetons tr", has_text="jeton d'anna")
    assert "anna" in row.inner_text()
    row.get_by_role("button", name=re.compile("Révoquer")).click()
    page.wait_for_selector("#flash")
    assert page.locator("#liste-jetons tr", has_text="jeton d'anna").count() == 0
    assert page.locator("#liste-jetons tr", has_text="victor").count() >= 1  # still everyone's list


def test_password_change_needs_the_current_one_and_closes_other_devices(page, app_live: LiveApp) -> None:
    with app_live.services.session_factory() as session:
        add_user(session, "paul", "ancien-mot-de-passe", "viewer")
    other_device = http_login(app_live.url, "paul", "ancien-mot-de-passe")
    assert other_device.get("/compte").status_code == 200
    browser_login(page, "paul", "ancien-mot-de-passe")
    page.goto("/compte")
    page.get_by_label("Mot de passe actuel").fill("pas-le-bon-mot")
    page.get_by_label("Nouveau mot de passe (8 caractères au moins)").fill("nouveau-mot-de-passe")
    page.get_by_label("Nouveau mot de passe, encore").fill("nouveau-mot-de-passe")
    page.get_by_role("button", name="Changer le mot de passe").click()
    assert "Mot de passe actuel incorrect" in page.locator("#erreur-mot-de-passe").inner_text()
    page.get_by_label("Mot de passe actuel").fill("ancien-mot-de-passe")
    page.get_by_label("Nouveau mot de passe (8 caractères au moins)").fill("nouveau-mot-de-passe")
    page.get_by_label("Nouveau mot de passe, encore").fill("nouveau-mot-de-passe")
    page.get_by_role("button", name="Changer le mot de passe").click()
    page.wait_for_selector("#flash")
    assert "Mot de passe changé" in page.locator("#flash").inner_text()
    page.wait_for_function("!location.search.includes('ok=')")  # the confirmation leaves the address
    page.reload()
    assert page.locator("#flash").count() == 0  # so a reload does not repeat it
    page.goto("/compte")  # this device stays logged in
    assert page.locator("h1").inner_text() == "Mon compte"
    # The other device's cookie is refused; the new password works, the old one no longer does.
    assert other_device.get("/api/me").status_code == 401
    assert http_login(app_live.url, "paul", "nouveau-mot-de-passe").get("/api/me").status_code == 200
    with httpx.Client(base_url=app_live.url) as anonymous:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', anonymous.get("/connexion").text)
        assert csrf is not None
        old = {"username": "paul", "password": "ancien-mot-de-passe", "csrf_token": csrf.group(1)}
        assert anonymous.post("/connexion", data=old).status_code == 401
    with app_live.services.session_factory() as session:
        from sqlalchemy import select

        from core.storage.tables import AuditRow

        actions = session.scalars(select(AuditRow.action).where(AuditRow.actor == "paul")).all()
    assert "password_change" in actions
    # The admin's audit page names the action in French.
    history = http_login(app_live.url, "ada", PASSWORD).get("/historique").text
    row = re.search(r'<tr class="audit-entry" data-action="password_change">.*?</tr>', history, re.S)
    assert row is not None and "changement de mot de passe" in row.group(0)


def test_a_viewer_reads_a_document_inside_vigie(page, app_live: LiveApp) -> None:
    browser_login(page, "victor")
    page.goto("/recherche?q=jardin")
    page.get_by_role("link", name="Un jardin partagé au cœur du quartier de la Reyssouze").click()
    page.wait_for_url(re.compile(r"/document/d1$"))  # titles open the document inside Vigie
    assert page.locator("h1").inner_text() == "Un jardin partagé au cœur du quartier de la Reyssouze"
    assert "2026-01-15" in page.locator("#doc-date").inner_text()
    assert "Bourg-en-Bresse" in page.locator("#doc-commune").inner_text()
    assert "Grande Reyssouze Terre Des Fleurs" in page.locator("#doc-qpv").inner_text()
    assert "sociale" in page.locator("#doc-types").inner_text()
    assert "jardin partagé" in page.locator("#doc-extrait").inner_text()
    assert page.locator("#lien-origine").get_attribute("href") == "https://exemple.test/d1"
    assert page.get_by_role("link", name="Revue").count() == 0  # a viewer does not review
    assert page.goto("/document/absent").status == 404
