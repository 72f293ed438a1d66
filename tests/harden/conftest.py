"""Fixtures of the hardening tests: SQLite and the real PostgreSQL server of `make test`.

`pg_server_url` and `pg_url` live in tests/conftest.py; `any_db_url` in tests/ops/conftest.py.
"""

from __future__ import annotations

from tests.ops.conftest import any_db_url

__all__ = ["any_db_url"]
