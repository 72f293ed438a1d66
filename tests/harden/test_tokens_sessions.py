"""Token lifecycle (list, revoke, expiry); a password or role change closes sessions. Live server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from core.storage.tables import ApiTokenRow
from search_api.app.auth import add_user, resolve_api_token
from tests.support.live_app import PASSWORD, LiveApp, live_app
from tests.support.web import login
from vigie.cli import make_app
from vigie.wiring import open_db


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("tok") / "var", shared_dir / "data" / "reference") as app:
        yield app


def _bearer(live: LiveApp, token: str) -> httpx.Client:
    return httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_tokens_are_listed_revoked_and_expire(live: LiveApp) -> None:
    with live.client("viewer") as client:
        made = client.post("/api/tokens", json={"label": "script nocturne", "expires_in_days": 30}).json()
        listed = client.get("/api/tokens").json()["items"]
        assert client.get("/api/tokens", params={"all_users": True}).status_code == 403
    mine = next(t for t in listed if t["id"] == made["id"])
    assert mine["label"] == "script nocturne" and mine["username"] == "victor"
    expires = datetime.fromisoformat(mine["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert "token" not in mine and all("hash" not in key for key in mine)
    with _bearer(live, made["token"]) as script:
        assert script.get("/api/me").json()["username"] == "victor"
    # Expired: refused.
    with live.services.session_factory() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(update(ApiTokenRow).where(ApiTokenRow.id == made["id"]).values(expires_at=past))
        session.commit()
    with _bearer(live, made["token"]) as script:
        assert script.get("/api/me").status_code == 401
    # Revoked: refused at once; someone else's token cannot be revoked by a non-admin.
    with live.client("viewer") as client:
        other = client.post("/api/tokens", json={"label": "à révoquer"}).json()
        with live.client("reviewer") as stranger:
            refused = stranger.delete(f"/api/tokens/{other['id']}")
            assert refused.status_code == 404
            assert stranger.delete(f"/api/tokens/{2**63}").status_code == 422
        assert client.delete(f"/api/tokens/{other['id']}").json() == {"revoked": other["id"]}
    with _bearer(live, other["token"]) as script:
        assert script.get("/api/me").status_code == 401
    with live.client("admin") as admin:
        everyone = admin.get("/api/tokens", params={"all_users": True}).json()["items"]
    assert {t["username"] for t in everyone} >= {"ada", "rita", "anna", "victor"}


def test_password_or_role_change_closes_sessions_and_optionally_tokens(live: LiveApp) -> None:
    web = login(live.url, "anna", PASSWORD)
    assert web.get("/api/me").json()["username"] == "anna"
    with live.services.session_factory() as session:
        add_user(session, "anna", "un-nouveau-secret", "annotator")
    assert web.get("/api/me").status_code == 401  # the old cookie is refused
    with live.client("annotator") as script:  # tokens keep working unless revoked with the change
        assert script.get("/api/me").status_code == 200
    with live.services.session_factory() as session:
        add_user(session, "anna", PASSWORD, "annotator")  # back to the shared password
    web = login(live.url, "anna", PASSWORD)
    with live.services.session_factory() as session:
        add_user(session, "anna", PASSWORD, "viewer", revoke_tokens=True)  # a role change
        assert resolve_api_token(session, live.tokens["annotator"]) is None
    assert web.get("/api/me").status_code == 401
    with live.client("annotator") as script:
        assert script.get("/api/me").status_code == 401


def test_cli_token_create_list_revoke(settings) -> None:
    engine, factory = open_db(settings)
    with factory() as session:
        add_user(session, "script", "un-long-secret", "viewer")
    runner = CliRunner()
    made = runner.invoke(
        make_app(), ["users", "token", "create", "script", "--label", "cron", "--expires-in-days", "7"]
    )
    assert made.exit_code == 0, made.output
    token = made.output.strip()
    with factory() as session:
        assert resolve_api_token(session, token) is not None
    listed = runner.invoke(make_app(), ["users", "token", "list", "script"])
    assert listed.exit_code == 0 and "\tscript\tcron\t" in listed.output
    token_id = listed.output.split("\t")[0]
    assert runner.invoke(make_app(), ["users", "token", "revoke", token_id]).exit_code == 0
    with factory() as session:
        assert resolve_api_token(session, token) is None
    again = runner.invoke(make_app(), ["users", "token", "revoke", token_id])
    assert again.exit_code != 0 and "no API token" in str(again.exception)
    engine.dispose()
