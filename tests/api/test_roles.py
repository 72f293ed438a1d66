"""Every protected route for every role: one exact status per route and role, by design.

The table below is the contract (also in docs/testing.md): from the route's minimum role up, the status
its answer has on the seeded app; below it, 403 (code E010); anonymous, 401 for the API and a 303 to the
login page for the HTML forms. Routes that change state are put back in `finally` (see RESET/SETUP), so
the order in which the cases run does not matter.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from search_api.app.auth import ROLE_RANK
from tests.support.live_app import PASSWORD, ROLE_USER, LiveApp
from tests.support.web import login, page_csrf

ROLES = ("viewer", "annotator", "reviewer", "admin")
LABELS = {"is_initiative": True, "in_qpv": True, "innovation_types": ["sociale"], "communes": ["Bourg"]}
FORM_LABELS = {"is_initiative": "true", "in_qpv": "true", "innovation_types": "sociale", "communes": "Bourg"}

# (method, path, minimum role, JSON body, status for every role from the minimum up)
ROUTES: list[tuple[str, str, str, dict | None, int]] = [
    ("GET", "/api/me", "viewer", None, 200),
    ("POST", "/api/tokens", "viewer", None, 200),
    ("GET", "/api/search?q=jardin", "viewer", None, 200),
    ("GET", "/api/documents/d1", "viewer", None, 200),
    ("GET", "/api/documents/d1/similar", "viewer", None, 200),
    ("GET", "/api/documents/absent", "viewer", None, 404),
    ("GET", "/api/qpv/QN00101M", "viewer", None, 200),
    ("GET", "/api/places/communes?q=bourg", "viewer", None, 200),
    ("GET", "/api/places/qpv?q=reyssouze", "viewer", None, 200),
    ("GET", "/api/places/carte?qpv=QN00101M&commune=01053", "viewer", None, 200),
    ("GET", "/api/exports/csv?status=all", "viewer", None, 200),
    ("GET", "/api/exports/jsonl", "viewer", None, 200),
    ("GET", "/api/exports/geojson", "viewer", None, 200),
    ("GET", "/api/saved-searches", "viewer", None, 200),
    ("POST", "/api/saved-searches", "viewer", {"name": "jardins", "text": "jardin"}, 200),
    ("GET", "/api/models", "viewer", None, 200),
    ("GET", "/api/status", "viewer", None, 200),
    ("GET", "/api/metrics", "viewer", None, 200),
    ("GET", "/etat", "viewer", None, 200),
    ("GET", "/recherche?q=jardin", "viewer", None, 200),
    ("GET", "/catalogue", "viewer", None, 200),
    ("GET", "/recherches", "viewer", None, 200),
    ("GET", "/compte", "viewer", None, 200),
    ("GET", "/document/d1", "viewer", None, 200),
    ("GET", "/api/annotation/queue", "annotator", None, 200),
    ("POST", "/api/annotations", "annotator", {"doc_id": "d5", **LABELS}, 200),
    ("GET", "/api/annotation/agreement", "annotator", None, 200),
    ("GET", "/annotation", "annotator", None, 200),
    ("GET", "/accord", "annotator", None, 200),
    ("GET", "/api/review", "reviewer", None, 200),
    ("GET", "/api/review/d2", "reviewer", None, 200),
    ("POST", "/api/review/d2", "reviewer", {"action": "validate"}, 200),
    ("POST", "/api/review-bulk", "reviewer", {"action": "reset", "doc_ids": ["d2"]}, 200),
    ("GET", "/api/audit", "reviewer", None, 200),
    ("POST", "/api/audit/999999/undo", "reviewer", None, 404),
    ("POST", "/api/annotation/d5/adjudicate", "reviewer", LABELS, 200),
    ("GET", "/revue", "reviewer", None, 200),
    ("GET", "/revue/d2", "reviewer", None, 200),
    ("GET", "/accord/d5", "reviewer", None, 200),
    ("GET", "/historique", "reviewer", None, 200),
    ("GET", "/api/users", "admin", None, 200),
    ("POST", "/api/users", "admin", {"username": "zoe", "password": "motdepasse-zoe", "role": "viewer"}, 200),
    ("DELETE", "/api/users/nobody", "admin", None, 404),
    ("POST", "/api/models/2/promote", "admin", None, 200),
    ("POST", "/api/models/99/promote", "admin", None, 404),
    ("POST", "/api/models/tasks/initiative/rollback", "admin", None, 200),
    ("POST", "/api/models/train", "admin", None, 202),
    ("POST", "/api/reanalyze", "admin", None, 202),
    ("GET", "/admin/modeles", "admin", None, 200),
    ("GET", "/admin/utilisateurs", "admin", None, 200),
]

# The HTML forms, posted with a real session cookie and the session's CSRF token:
# (path, minimum role, form fields, status for every role from the minimum up).
FORMS: list[tuple[str, str, dict[str, str], int]] = [
    ("/compte/jeton", "viewer", {"label": "essai"}, 200),
    ("/compte/jeton/999999/revoquer", "viewer", {}, 404),
    ("/recherches", "viewer", {"name": "jardins", "q": "jardin"}, 303),
    ("/recherches/999999/supprimer", "viewer", {}, 404),
    ("/annotation/d5", "annotator", FORM_LABELS, 303),
    ("/revue/d2/action", "reviewer", {"action": "validate"}, 303),
    ("/revue-lot", "reviewer", {"action": "validate", "doc_ids": "d2"}, 303),
    ("/accord/d5", "reviewer", FORM_LABELS, 303),
    ("/audit/999999/annuler", "reviewer", {}, 404),
    (
        "/admin/utilisateurs",
        "admin",
        {"username": "zoe", "password": "motdepasse-zoe", "role": "viewer"},
        303,
    ),
    ("/admin/utilisateurs/zoe/supprimer", "admin", {"confirmation": "oui"}, 303),
    ("/admin/modeles/2/promouvoir", "admin", {"confirmation": "oui"}, 303),
    ("/admin/modeles/taches/initiative/retour", "admin", {"confirmation": "oui"}, 303),
    ("/admin/modeles/entrainer", "admin", {}, 303),
    ("/admin/reanalyser", "admin", {}, 303),
]


def _wait_for_jobs(app: LiveApp) -> None:
    """Wait (bounded) until no background job runs, so the next start is accepted."""
    deadline = time.monotonic() + 120
    while any(j.get("status") == "running" for j in app.services.jobs.snapshot().values()):
        assert time.monotonic() < deadline, "a background job never finished"
        time.sleep(0.05)


def _promote_v2(app: LiveApp) -> None:
    assert app.services.registry is not None
    app.services.registry.promote(2, "ada")


def _back_to_v1(app: LiveApp) -> None:
    """Whatever the case did, leave v1 promoted (the seeded state)."""
    registry = app.services.registry
    assert registry is not None
    promoted = registry.versions_by_task()["initiative"].promoted
    if promoted is not None and promoted.version != "v1":
        registry.promote(1, "ada")


def _reset_d2(app: LiveApp) -> None:
    with app.client("reviewer") as client:
        client.post("/api/review-bulk", json={"action": "reset", "doc_ids": ["d2"]}).raise_for_status()


def _ensure_zoe(app: LiveApp) -> None:
    with app.client("admin") as client:
        body = {"username": "zoe", "password": "motdepasse-zoe", "role": "viewer"}
        client.post("/api/users", json=body).raise_for_status()


# What a case needs before it runs, and what puts the app back afterwards (in `finally`).
SETUP: dict[str, Callable[[LiveApp], None]] = {
    "/api/models/tasks/initiative/rollback": _promote_v2,
    "/admin/modeles/taches/initiative/retour": _promote_v2,
    "/admin/utilisateurs/zoe/supprimer": _ensure_zoe,
}
RESET: dict[str, Callable[[LiveApp], None]] = {
    "/api/models/2/promote": _back_to_v1,
    "/api/models/tasks/initiative/rollback": _back_to_v1,
    "/admin/modeles/2/promouvoir": _back_to_v1,
    "/admin/modeles/taches/initiative/retour": _back_to_v1,
    "/api/models/train": _wait_for_jobs,
    "/api/reanalyze": _wait_for_jobs,
    "/admin/modeles/entrainer": _wait_for_jobs,
    "/admin/reanalyser": _wait_for_jobs,
    "/api/review/d2": _reset_d2,
    "/revue/d2/action": _reset_d2,
    "/revue-lot": _reset_d2,
}


def expected(role: str, minimum: str, allowed: int) -> int:
    return allowed if ROLE_RANK[role] >= ROLE_RANK[minimum] else 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "minimum", "body", "allowed"), ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES]
)
def test_route_answers_the_exact_status_for_the_role(
    app_live: LiveApp, role: str, method: str, path: str, minimum: str, body: dict | None, allowed: int
) -> None:
    want = expected(role, minimum, allowed)
    if want != 403 and path in SETUP:
        SETUP[path](app_live)
    try:
        with app_live.client(role) as client:
            response = client.request(method, path, json=body)
    finally:
        if path in RESET:
            RESET[path](app_live)
    assert response.status_code == want, (
        f"{role} {method} {path}: {response.status_code} {response.text[:300]}"
    )
    if want == 403:
        assert response.json()["error"]["code"] == "E010"


@pytest.mark.parametrize(
    ("method", "path", "minimum", "body", "allowed"), ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES]
)
def test_anonymous_is_refused(app_live: LiveApp, method: str, path: str, minimum: str, body, allowed) -> None:
    with app_live.client() as client:
        response = client.request(method, path, json=body)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "E401"
    assert "trace" not in response.text.lower()


def _session(app: LiveApp, role: str) -> tuple[httpx.Client, str]:
    client = login(app.url, ROLE_USER[role], PASSWORD)
    return client, page_csrf(client, "/compte")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "minimum", "form", "allowed"), FORMS, ids=[f[0] for f in FORMS])
def test_html_form_answers_the_exact_status_for_the_role(
    app_live: LiveApp, role: str, path: str, minimum: str, form: dict[str, str], allowed: int
) -> None:
    want = expected(role, minimum, allowed)
    client, token = _session(app_live, role)
    if want != 403 and path in SETUP:
        SETUP[path](app_live)
    try:
        response = client.post(path, data={**form, "csrf_token": token}, headers={"accept": "text/html"})
    finally:
        client.close()
        if path in RESET:
            RESET[path](app_live)
    assert response.status_code == want, f"{role} POST {path}: {response.status_code} {response.text[:300]}"
    if want == 403:
        assert "cannot do this" in response.text  # the role, not the CSRF token, refused it


@pytest.mark.parametrize(("path", "minimum", "form", "allowed"), FORMS, ids=[f[0] for f in FORMS])
def test_html_form_without_the_csrf_token_is_refused(
    app_live: LiveApp, path: str, minimum: str, form: dict[str, str], allowed: int
) -> None:
    client, _ = _session(app_live, "admin")  # every role allowed: only the token is missing
    try:
        response = client.post(path, data=form, headers={"accept": "text/html"})
    finally:
        client.close()
    assert response.status_code == 403
    assert "CSRF" in response.text


@pytest.mark.parametrize(("path", "minimum", "form", "allowed"), FORMS, ids=[f[0] for f in FORMS])
def test_html_form_without_a_session_goes_to_the_login_page(
    app_live: LiveApp, path: str, minimum: str, form: dict[str, str], allowed: int
) -> None:
    with httpx.Client(base_url=app_live.url, timeout=30) as client:
        response = client.post(path, data=form, headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/connexion?suite={path}"


def test_health_is_public(app_live: LiveApp) -> None:
    with app_live.client() as client:
        assert client.get("/api/health").status_code == 200


def test_a_bad_token_is_refused(app_live: LiveApp) -> None:
    headers = {"Authorization": "Bearer vigie_not-a-token"}
    with httpx.Client(base_url=app_live.url, headers=headers) as client:
        assert client.get("/api/me").status_code == 401
