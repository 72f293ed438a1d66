"""The HTML forms behind the pages, posted as a browser would (session cookie + CSRF token)."""

from __future__ import annotations

import re

from tests.support.live_app import PASSWORD, LiveApp
from tests.support.web import login, page_csrf


def test_bulk_form_on_the_filtered_selection(app_live: LiveApp) -> None:
    client = login(app_live.url, "rita", PASSWORD)
    token = page_csrf(client, "/revue?source=asso-web")
    form = {
        "csrf_token": token,
        "scope": "filter",
        "action": "reject",
        "reason": "hors sujet",
        "source": "asso-web",
    }
    response = client.post("/revue-lot", data=form)
    location = "/revue?source=asso-web&ok=bulk&n=2&echecs=0"  # the filters kept, and a confirmation
    assert response.status_code == 303 and response.headers["location"] == location
    assert "Action groupée : 2 détection(s) traitée(s)." in client.get(location).text
    rejected = client.get("/revue?status=rejected").text
    assert "Des ateliers numériques" in rejected and "Un tiers-lieu culturel" in rejected
    assert "Un jardin partagé" not in rejected
    client.post("/revue-lot", data={**form, "action": "reset", "status": "rejected"})
    assert "Un tiers-lieu culturel" in client.get("/revue").text
    client.close()


def test_bulk_form_with_nothing_ticked_says_what_to_do(app_live: LiveApp) -> None:
    client = login(app_live.url, "rita", PASSWORD)
    token = page_csrf(client, "/revue")
    response = client.post(
        "/revue-lot", data={"csrf_token": token, "action": "validate"}, headers={"accept": "text/html"}
    )
    client.close()
    assert response.status_code == 422
    assert "no detection selected" in response.text and "Solution" in response.text


def test_save_a_search_from_the_search_page(app_live: LiveApp) -> None:
    client = login(app_live.url, "victor", PASSWORD)
    token = page_csrf(client, "/recherche?q=recyclerie")
    data = {"csrf_token": token, "name": "Réemploi", "q": "recyclerie", "innovation_type": "services"}
    assert client.post("/recherches", data=data).status_code == 303
    listing = client.get("/recherches").text
    feed_path = re.search(r'href="(/flux/[^"]+\.atom)"', listing).group(1)
    feed = client.get(feed_path).text
    client.close()
    assert "Réemploi" in listing and "urn:vigie:doc:d2" in feed


def test_annotate_then_adjudicate_with_the_forms(app_live: LiveApp) -> None:
    for user, answer in (("anna", "true"), ("rita", "false")):
        client = login(app_live.url, user, PASSWORD)
        token = page_csrf(client, "/annotation/d4")
        labels = {"csrf_token": token, "is_initiative": answer, "in_qpv": "", "communes": "Bourg-en-Bresse"}
        assert client.post("/annotation/d4", data=labels).status_code == 303
        client.close()
    client = login(app_live.url, "rita", PASSWORD)
    agreement = client.get("/accord").text
    assert 'href="/accord/d4"' in agreement
    token = page_csrf(client, "/accord/d4")
    final = {"csrf_token": token, "is_initiative": "false", "in_qpv": "false"}
    assert client.post("/accord/d4", data=final).status_code == 303
    assert 'href="/accord/d4"' not in client.get("/accord").text
    client.close()
