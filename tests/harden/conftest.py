"""Fixtures of the hardening tests: SQLite and the real PostgreSQL server of `make test`."""

from __future__ import annotations

from tests.ops.conftest import any_db_url, pg_server_url, pg_url

__all__ = ["any_db_url", "pg_server_url", "pg_url"]
