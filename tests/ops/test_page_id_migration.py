"""Migration 0009 (page ids from the new canonical URLs) on the real PostgreSQL server."""

from __future__ import annotations

from tests.support.page_id_migration import check_page_id_migration


def test_page_id_migration_on_postgresql(pg_url: str) -> None:
    check_page_id_migration(pg_url)
