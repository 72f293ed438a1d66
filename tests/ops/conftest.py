"""Fixtures of the operations tests: a fresh PostgreSQL database per test, on the server of `make test`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """URL of the PostgreSQL server started by `make test` (scripts/pg-node.sh).

    Under CI a missing server is a failure, never a skip.
    """
    url = os.environ.get("VIGIE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("VIGIE_TEST_POSTGRES_URL is not set: the PostgreSQL server did not start")
        pytest.skip("no PostgreSQL server: run the suite with `make test` (scripts/pg-node.sh)")
    return url


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


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database URL of each kind: SQLite in tmp_path, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'suite.db'}"
    return str(request.getfixturevalue("pg_url"))
