"""One handler maps the Vigie error tree to HTTP answers with a code, a message and a hint."""

from __future__ import annotations

import pytest

from core.errors import (
    ConfigError,
    EngineUnavailableError,
    InputError,
    ModelError,
    NotFoundError,
    PermissionDeniedError,
    SearchEngineError,
    StorageError,
    VigieError,
)
from search_api.app.auth import NotAuthenticatedError
from search_api.app.factory import status_of
from tests.support.live_app import LiveApp


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotAuthenticatedError, 401),
        (PermissionDeniedError, 403),
        (NotFoundError, 404),
        (InputError, 422),
        (EngineUnavailableError, 503),
        (SearchEngineError, 400),
        (ModelError, 409),
        (ConfigError, 500),
        (StorageError, 500),
        (VigieError, 500),
    ],
)
def test_status_of_each_error(error: type[VigieError], status: int) -> None:
    assert status_of(error("x", hint="y")) == status


def test_bad_input_names_the_field_and_the_fix(app_live: LiveApp) -> None:
    with app_live.client("reviewer") as client:
        response = client.get("/api/review", params={"min_score": "beaucoup"})
        unknown = client.get("/api/review/does-not-exist")
        missing = client.post("/api/review/d1", json={"reason": "no action"})
    body = response.json()["error"]
    assert response.status_code == 422 and body["code"] == "E002" and "min_score" in body["hint"]
    assert unknown.status_code == 404 and "does-not-exist" in unknown.json()["error"]["message"]
    assert missing.status_code == 422 and "action" in missing.json()["error"]["message"]
