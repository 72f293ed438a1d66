"""Fixtures shared by every test: isolated settings, a real SQLite database, the real ES node."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings, get_settings, load_settings
from core.storage import open_database
from tests.support.paths import SHARED_DIR

# Fixtures more than one area uses, kept in tests/support (test modules never import each other).
pytest_plugins = ["tests.support.databases"]


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings pointing at a throwaway data directory (also exported for subprocesses)."""
    data_dir = tmp_path / "var"
    monkeypatch.setenv("VIGIE_DATA_DIR", str(data_dir))
    monkeypatch.delenv("VIGIE_DATABASE_URL", raising=False)
    monkeypatch.delenv("VIGIE_SEARCH_BACKEND", raising=False)
    get_settings.cache_clear()
    yield load_settings()
    get_settings.cache_clear()


@pytest.fixture
def db(settings: Settings) -> Iterator[tuple[Engine, sessionmaker[Session]]]:
    """A migrated SQLite database in the test's data directory."""
    engine, factory = open_database(settings.resolved_database_url)
    yield engine, factory
    engine.dispose()


# A test that needs a service is marked for it, whichever way it asks for it, so that a person can
# choose explicitly to leave a service's tests out: `pytest tests/crawler` needs none; `pytest -m "not
# elasticsearch and not postgres"` runs everything else. Nothing in the environment makes a test skip.
SERVICE_FIXTURES = {"es_url": "elasticsearch", "pg_server_url": "postgres"}
SERVICE_FIXTURE_USERS = {"pg_url": "postgres", "any_db_url": "postgres", "fresh": "elasticsearch"}
SERVICE_FIXTURE_USERS |= {"loaded": "elasticsearch"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that (directly or through a fixture) reaches a service with that service's marker."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        for fixture, marker in (SERVICE_FIXTURES | SERVICE_FIXTURE_USERS).items():
            if fixture in names and marker not in {m.name for m in item.iter_markers()}:
                callspec = getattr(item, "callspec", None)
                # Parametrised over backends: only the ES / PostgreSQL arms need the service.
                param = callspec.params.get(fixture) if callspec is not None else None
                if param in ("sqlite", "embedded"):
                    continue
                item.add_marker(getattr(pytest.mark, marker))
        # A browser test waits 15 s at most on any page: past 5 minutes it is hung (a CI run once hung an hour
        # in tests/ui/test_browser.py); it then fails with every thread's stack (pytest-timeout).
        if "page" in names and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.timeout(300))


def service_url(variable: str, service: str, marker: str) -> str:
    """The URL `make test` exported for a service; a missing one FAILS the test (never a skip)."""
    url = os.environ.get(variable, "").strip()
    if not url:
        pytest.fail(
            f"{variable} is not set: this test needs the real {service} that `make test` "
            f"(scripts/test.sh) starts. Run `make test`, or start it yourself and set {variable} "
            f"(see docs/testing.md), or leave these tests out explicitly with -m 'not {marker}'.",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def es_url() -> str:
    """URL of the real Elasticsearch node started by `make test`; missing, the test fails."""
    return service_url("VIGIE_TEST_ELASTICSEARCH_URL", "Elasticsearch node", "elasticsearch")


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of the PostgreSQL server started by `make test` (scripts/pg-node.sh); missing, the test fails."""
    return service_url("VIGIE_TEST_POSTGRES_URL", "PostgreSQL server", "postgres")


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"vigie_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(pg_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared material (reference data, web pages, seed annotations)."""
    if not SHARED_DIR.is_dir():
        pytest.fail(f"shared material not found at {SHARED_DIR}; set VIGIE_SHARED_DIR")
    return SHARED_DIR
