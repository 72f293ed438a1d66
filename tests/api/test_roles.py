"""Every protected route for every role: allowed from its minimum role up, 403 below, 401 anonymous."""

from __future__ import annotations

import pytest

from search_api.app.auth import ROLE_RANK
from tests.api.live import LiveApp

ROLES = ("viewer", "annotator", "reviewer", "admin")
LABELS = {"is_initiative": True, "in_qpv": True, "innovation_types": ["sociale"], "communes": ["Bourg"]}
# (method, path, minimum role, JSON body)
ROUTES: list[tuple[str, str, str, dict | None]] = [
    ("GET", "/api/me", "viewer", None),
    ("POST", "/api/tokens", "viewer", None),
    ("GET", "/api/search?q=jardin", "viewer", None),
    ("GET", "/api/documents/d1", "viewer", None),
    ("GET", "/api/documents/d1/similar", "viewer", None),
    ("GET", "/api/qpv/QN00101M", "viewer", None),
    ("GET", "/api/exports/csv?status=all", "viewer", None),
    ("GET", "/api/exports/jsonl", "viewer", None),
    ("GET", "/api/exports/geojson", "viewer", None),
    ("GET", "/api/saved-searches", "viewer", None),
    ("POST", "/api/saved-searches", "viewer", {"name": "jardins", "text": "jardin"}),
    ("GET", "/api/models", "viewer", None),
    ("GET", "/api/status", "viewer", None),
    ("GET", "/api/metrics", "viewer", None),
    ("GET", "/etat", "viewer", None),
    ("GET", "/recherche?q=jardin", "viewer", None),
    ("GET", "/catalogue", "viewer", None),
    ("GET", "/recherches", "viewer", None),
    ("GET", "/api/annotation/queue", "annotator", None),
    ("POST", "/api/annotations", "annotator", {"doc_id": "d5", **LABELS}),
    ("GET", "/api/annotation/agreement", "annotator", None),
    ("GET", "/annotation", "annotator", None),
    ("GET", "/accord", "annotator", None),
    ("GET", "/api/review", "reviewer", None),
    ("GET", "/api/review/d2", "reviewer", None),
    ("POST", "/api/review/d2", "reviewer", {"action": "validate"}),
    ("POST", "/api/review-bulk", "reviewer", {"action": "reset", "doc_ids": ["d2"]}),
    ("GET", "/api/audit", "reviewer", None),
    ("POST", "/api/audit/999999/undo", "reviewer", None),
    ("POST", "/api/annotation/d5/adjudicate", "reviewer", LABELS),
    ("GET", "/revue", "reviewer", None),
    ("GET", "/revue/d2", "reviewer", None),
    ("GET", "/historique", "reviewer", None),
    ("GET", "/api/users", "admin", None),
    ("POST", "/api/users", "admin", {"username": "zoe", "password": "motdepasse-zoe", "role": "viewer"}),
    ("DELETE", "/api/users/nobody", "admin", None),
    ("POST", "/api/models/2/promote", "admin", None),
    ("POST", "/api/models/tasks/initiative/rollback", "admin", None),
    ("POST", "/api/models/train", "admin", None),
    ("POST", "/api/reanalyze", "admin", None),
    ("GET", "/admin/modeles", "admin", None),
    ("GET", "/admin/utilisateurs", "admin", None),
]


IDS = [f"{m} {p}" for m, p, _, _ in ROUTES]
PARAMS = ("method", "path", "minimum", "body")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(PARAMS, ROUTES, ids=IDS)
def test_route_checks_the_role(
    app_live: LiveApp, role: str, method: str, path: str, minimum: str, body: dict | None
) -> None:
    with app_live.client(role) as client:
        response = client.request(method, path, json=body)
    if ROLE_RANK[role] >= ROLE_RANK[minimum]:
        # Allowed: never an auth refusal, never a crash (404/409/422 are answers about the data).
        assert response.status_code not in (401, 403), response.text
        assert response.status_code < 500, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "E010"


@pytest.mark.parametrize(PARAMS, ROUTES, ids=IDS)
def test_anonymous_is_refused(app_live: LiveApp, method: str, path: str, minimum: str, body) -> None:
    with app_live.client() as client:
        response = client.request(method, path, json=body)
    assert response.status_code == 401
    assert "trace" not in response.text.lower()


def test_health_is_public(app_live: LiveApp) -> None:
    with app_live.client() as client:
        assert client.get("/api/health").status_code == 200


def test_a_bad_token_is_refused(app_live: LiveApp) -> None:
    with httpx_client(app_live, "vigie_not-a-token") as client:
        assert client.get("/api/me").status_code == 401


def httpx_client(app_live: LiveApp, token: str):
    import httpx

    return httpx.Client(base_url=app_live.url, headers={"Authorization": f"Bearer {token}"})
