"""Fixtures shared by every test: isolated settings, a real SQLite database, the real ES node."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings, get_settings, load_settings
from core.storage import open_database

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = Path(os.environ.get("VIGIE_SHARED_DIR", REPO_ROOT.parent / "shared"))


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


@pytest.fixture(scope="session")
def es_url() -> str:
    """URL of the real Elasticsearch node started by `make test`.

    Under CI a missing node is a failure, never a skip.
    """
    url = os.environ.get("VIGIE_TEST_ELASTICSEARCH_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("VIGIE_TEST_ELASTICSEARCH_URL is not set: the Elasticsearch node did not start")
        pytest.skip("no Elasticsearch node: run the suite with `make test`")
    return url


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The read-only shared material (reference data, web pages, seed annotations)."""
    if not SHARED_DIR.is_dir():
        pytest.fail(f"shared material not found at {SHARED_DIR}; set VIGIE_SHARED_DIR")
    return SHARED_DIR
