"""E-mail alerts against a real SMTP server on 127.0.0.1: digests of new results, retried, never lost."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from core.storage.alerts import AlertRepository
from tests.support.live_app import LiveApp, live_app
from tests.support.smtp import smtp_server
from vigie.ops.alerts import run_alerts


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[LiveApp]:
    with live_app(tmp_path_factory.mktemp("alerts") / "var", shared_dir / "data" / "reference") as app:
        yield app


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _smtp(live: LiveApp, port: int, **extra: object) -> Settings:
    update = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_from": "vigie@exemple.fr",
    }
    return live.settings.model_copy(update=update | extra)


def _run(live: LiveApp, settings: Settings):  # noqa: ANN202
    assert live.services.search_engine is not None
    return run_alerts(settings, live.services.session_factory, live.services.search_engine)


def test_a_saved_search_with_an_address_sends_a_digest_retried_after_a_failure(live: LiveApp) -> None:
    with live.client("viewer") as client:
        body = {"name": "Recycleries", "text": "recyclerie", "email": "equipe@exemple.fr"}
        saved = client.post("/api/saved-searches", json=body).json()
        listed = client.get("/api/saved-searches").json()["items"]
    assert saved["email"] == "equipe@exemple.fr"
    assert [i["email"] for i in listed if i["id"] == saved["id"]] == ["equipe@exemple.fr"]

    down = _run(live, _smtp(live, _closed_port()))  # the SMTP server is down: reported, kept
    assert (down.digests, down.sent, down.failed) == (1, 0, 1)
    assert "cannot send the digest" in down.errors[0]
    (pending,) = AlertRepository(live.services.session_factory).pending()
    assert pending.attempts == 1 and pending.doc_ids == ["d2"] and pending.last_error

    with smtp_server() as server:
        retried = _run(live, _smtp(live, server.port))
        again = _run(live, _smtp(live, server.port))  # nothing new: nothing sent twice
    assert (retried.digests, retried.sent, retried.failed) == (0, 1, 0)
    assert (again.digests, again.sent, again.failed) == (0, 0, 0)
    (message,) = server.messages
    assert server.envelopes == [("vigie@exemple.fr", ["equipe@exemple.fr"])]
    assert message["Subject"] == "Vigie — Recycleries : 1 nouveau résultat"
    text = message.get_content()
    assert "Une recyclerie solidaire embauche des habitants du quartier" in text
    assert "https://exemple.test/d2" in text and "jardin" not in text.lower()
    assert not AlertRepository(live.services.session_factory).pending()


def test_smtp_login_is_used_when_configured(live: LiveApp) -> None:
    with live.client("viewer") as client:
        body = {"name": "Jardins", "text": "jardin", "email": "jardins@exemple.fr"}
        assert client.post("/api/saved-searches", json=body).status_code == 200
    with smtp_server(user="vigie", password="secret-smtp") as server:
        report = _run(live, _smtp(live, server.port, smtp_user="vigie", smtp_password="secret-smtp"))
    assert report.failed == 0 and report.sent == 1 and server.logins == ["vigie"]
    assert [m["To"] for m in server.messages] == ["jardins@exemple.fr"]


def test_a_bad_address_is_refused_and_an_empty_one_stops_the_emails(live: LiveApp) -> None:
    with live.client("viewer") as client:
        bad = client.post("/api/saved-searches", json={"name": "x", "text": "x", "email": "pas une adresse"})
        saved = client.post("/api/saved-searches", json={"name": "y", "text": "tiers-lieu"}).json()
    assert bad.status_code == 422 and "e-mail" in bad.json()["error"]["message"]
    assert saved["email"] is None
    repo = AlertRepository(live.services.session_factory)
    repo.subscribe(saved["id"], "a@exemple.fr")
    assert repo.emails_of([saved["id"]]) == {saved["id"]: "a@exemple.fr"}
    repo.subscribe(saved["id"], None)
    assert repo.emails_of([saved["id"]]) == {}
