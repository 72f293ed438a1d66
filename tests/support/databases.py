"""Database fixtures shared by several areas (a pytest plugin listed in tests/conftest.py).

`pg_server_url` and `pg_url` (the PostgreSQL of `make test`) live in tests/conftest.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL of each kind: SQLite in tmp_path, then PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'suite.db'}"
    return str(request.getfixturevalue("pg_url"))
