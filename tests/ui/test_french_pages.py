"""French throughout, over HTTP on the live app: error pages (401/403/404/422/500), JSON kept for /api."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from search_api.app.factory import create_app
from tests.support.live_app import PASSWORD, LiveApp, run_app
from tests.support.web import login, page_csrf

HTML = {"accept": "text/html,application/xhtml+xml"}


@pytest.fixture(scope="module")
def viewer(app_live: LiveApp) -> Iterator[httpx.Client]:
    client = login(app_live.url, "victor", PASSWORD)
    yield client
    client.close()


def _is_french_error_page(response: httpx.Response, status: int, title: str) -> None:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f'<h1 id="titre-erreur">{title}</h1>' in response.text
    assert '<html lang="fr">' in response.text and "Traceback" not in response.text
    assert '{"detail"' not in response.text and "Not Found" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")


def test_401_page_for_an_htmx_call_after_the_session_ended(app_live: LiveApp) -> None:
    with httpx.Client(base_url=app_live.url, headers=HTML) as client:
        fragment = client.get("/admin/modeles/taches", headers={"hx-request": "true"})
        page = client.get("/revue")  # a page asked anonymously goes to the login form
        form = client.post("/recherches", data={"name": "x"})
    _is_french_error_page(fragment, 401, "Connexion nécessaire")
    assert 'href="/connexion"' in fragment.text
    for response in (page, form):
        assert response.status_code == 303 and response.headers["location"].startswith("/connexion")


def test_403_page_for_a_role_too_low(viewer: httpx.Client) -> None:
    _is_french_error_page(viewer.get("/admin/utilisateurs", headers=HTML), 403, "Action non autorisée")


def test_404_page_for_an_unknown_path_and_an_unknown_item(viewer: httpx.Client) -> None:
    _is_french_error_page(viewer.get("/nulle-part", headers=HTML), 404, "Page introuvable")
    _is_french_error_page(viewer.get("/recherches/999/supprimer", headers=HTML), 405, "Action impossible ici")
    response = viewer.post(
        "/recherches/999/supprimer", headers=HTML, data={"csrf_token": page_csrf(viewer, "/recherches")}
    )
    _is_french_error_page(response, 404, "Page introuvable")


def test_422_page_names_the_field(viewer: httpx.Client) -> None:
    response = viewer.get("/recherche", params={"min_score": "beaucoup"}, headers=HTML)
    _is_french_error_page(response, 422, "Saisie incorrecte")
    assert "min_score" in response.text and "Solution" in response.text  # the field and the fix


def test_500_page_is_french_and_leaks_nothing(app_live: LiveApp) -> None:
    app: FastAPI = create_app(app_live.services)

    @app.get("/boum")
    def boom() -> None:
        raise RuntimeError("secret internal detail")

    with run_app(app) as url:  # one connection each: the server closes the one that failed
        page = httpx.get(f"{url}/boum", headers=HTML, timeout=30)
        api = httpx.get(f"{url}/boum", headers={"accept": "application/json"}, timeout=30)
    _is_french_error_page(page, 500, "Erreur interne")
    assert "secret internal detail" not in page.text
    assert api.status_code == 500 and api.json()["error"]["code"] == "E500"


def test_api_errors_stay_json(app_live: LiveApp) -> None:
    with app_live.client("viewer") as client:
        unknown = client.get("/api/nulle-part", headers=HTML)
        forbidden = client.get("/api/users", headers=HTML)
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "E004"
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "E010"


@pytest.fixture(scope="module")
def admin(app_live: LiveApp) -> Iterator[httpx.Client]:
    client = login(app_live.url, "ada", PASSWORD)
    yield client
    client.close()


def _promoted(app_live: LiveApp) -> str | None:
    assert app_live.services.registry is not None
    promoted = app_live.services.registry.versions_by_task()["initiative"].promoted
    return promoted.version if promoted else None


def test_promote_and_roll_back_need_their_confirmation(app_live: LiveApp, admin: httpx.Client) -> None:
    page = admin.get("/admin/modeles").text
    assert 'id="promouvoir-2"' in page and "Confirmer la promotion" in page and "Confirmer le retour" in page
    token = page_csrf(admin, "/admin/modeles")
    refused = admin.post("/admin/modeles/2/promouvoir", data={"csrf_token": token}, headers=HTML)
    _is_french_error_page(refused, 422, "Saisie incorrecte")
    assert _promoted(app_live) == "v1"
    confirmed = {"csrf_token": token, "confirmation": "oui"}
    assert admin.post("/admin/modeles/2/promouvoir", data=confirmed).status_code == 303
    assert _promoted(app_live) == "v2"
    refused = admin.post("/admin/modeles/taches/initiative/retour", data={"csrf_token": token}, headers=HTML)
    assert refused.status_code == 422 and _promoted(app_live) == "v2"
    assert admin.post("/admin/modeles/taches/initiative/retour", data=confirmed).status_code == 303
    assert _promoted(app_live) == "v1"


def test_delete_user_needs_its_confirmation(app_live: LiveApp, admin: httpx.Client) -> None:
    token = page_csrf(admin, "/admin/utilisateurs")
    user = {"csrf_token": token, "username": "zelie", "password": "motdepasse-zelie", "role": "viewer"}
    assert admin.post("/admin/utilisateurs", data=user).status_code == 303
    assert 'id="supprimer-zelie"' in admin.get("/admin/utilisateurs").text
    refused = admin.post("/admin/utilisateurs/zelie/supprimer", data={"csrf_token": token}, headers=HTML)
    _is_french_error_page(refused, 422, "Saisie incorrecte")
    assert 'id="supprimer-zelie"' in admin.get("/admin/utilisateurs").text  # still there
    confirmed = {"csrf_token": token, "confirmation": "oui"}
    assert admin.post("/admin/utilisateurs/zelie/supprimer", data=confirmed).status_code == 303
    assert 'id="supprimer-zelie"' not in admin.get("/admin/utilisateurs").text


def test_search_facets_and_results_name_places_in_french(viewer: httpx.Client) -> None:
    html = viewer.get("/recherche", params={"q": "quartier"}).text
    assert 'Auvergne-Rhône-Alpes <span class="code">84</span>' in html  # region facet
    assert 'Ain <span class="code">01</span>' in html  # department facet
    assert 'Bourg-en-Bresse <span class="code">01053</span>' in html  # commune facet
    assert 'Grande Reyssouze Terre Des Fleurs <span class="code">QN00101M</span>' in html  # QPV facet
    assert "· Bourg-en-Bresse" in html  # a hit's commune by name
    assert ">True<" not in html and ">False<" not in html


def test_models_agreement_status_and_users_pages_speak_french(admin: httpx.Client) -> None:
    models = admin.get("/admin/modeles").text
    assert "Initiative (oui/non)" in models and "<td>promue</td>" in models
    assert re.search(r"<td>(retirée|candidate|abandonnée \(retour arrière\))</td>", models)
    assert "0,700" in models and "0,750" in models and "+0,050" in models  # decimal commas, signed gap
    assert "exemples d&#39;entraînement" in models or "exemples d'entraînement" in models
    agreement = admin.get("/accord").text
    assert "initiative" in agreement and 'data-field="is_initiative"' in agreement
    assert ">is_initiative<" not in agreement and ">type:sociale<" not in agreement
    users = admin.get("/admin/utilisateurs").text
    months = r"(janv\.|févr\.|mars|avr\.|mai|juin|juil\.|août|sept\.|oct\.|nov\.|déc\.)"
    assert re.search(rf"<td>\d{{1,2}} {months} 20\d\d \d\d:\d\d</td>", users)  # Paris time, French month
    for html in (models, agreement, users, admin.get("/etat").text, admin.get("/recherches").text):
        assert ">True<" not in html and ">False<" not in html and ">None<" not in html
        assert "644.000" not in html


def test_disagreements_are_listed_by_title(app_live: LiveApp, admin: httpx.Client) -> None:
    from search_api.app.annotation import save_annotation

    with app_live.services.session_factory() as session:
        save_annotation(session, "d1", "anna", {"is_initiative": True})
        save_annotation(session, "d1", "ada", {"is_initiative": False})
        session.commit()
    agreement = admin.get("/accord").text
    link = re.search(r'<a href="/accord/d1">([^<]*)</a>', agreement)
    assert link is not None and link.group(1) == "Un jardin partagé au cœur du quartier de la Reyssouze"
