"""Fixtures of the operations tests: each storage test on SQLite and on the PostgreSQL of `make test`.

`pg_server_url` and `pg_url` live in tests/conftest.py (tests/core uses them too).
"""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database URL of each kind: SQLite in tmp_path, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'suite.db'}"
    return str(request.getfixturevalue("pg_url"))
