"""Browser helpers of the Playwright suite (tests/ui): one way to log in."""

from __future__ import annotations

from typing import Any

from tests.support.live_app import PASSWORD


def browser_login(page: Any, username: str, password: str = PASSWORD) -> None:
    """Log in through the form and wait for the overview, where every role lands."""
    page.goto("/connexion")
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_selector('h1:has-text("Vue d\'ensemble")')
