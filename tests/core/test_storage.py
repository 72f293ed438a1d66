"""The system of record: migrations build the schema the tables describe, on a real database."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

import core.storage.tables  # noqa: F401
from core.storage import Base, open_database
from core.storage.tables import PageRow


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_migrations_match_the_tables(request: pytest.FixtureRequest, settings, kind: str) -> None:
    # The PostgreSQL arm always runs: without the server `pg_url` fails the test (never a skip).
    url = settings.resolved_database_url if kind == "sqlite" else request.getfixturevalue("pg_url")
    engine, _ = open_database(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == [], f"tables and migrations disagree on {url}: {diff}; add an Alembic revision"
    assert {"pages", "analyses", "model_versions"} <= tables  # the migrations did run on this database


def test_schema_has_every_record_table(db) -> None:
    engine, _ = db
    tables = set(inspect(engine).get_table_names())
    for name in ("sources", "crawl_runs", "pages", "analyses", "reviews", "annotations", "model_versions"):
        assert name in tables


def test_a_page_round_trips(db) -> None:
    _, factory = db
    with factory() as session:
        session.add(PageRow(id="p1", url="http://a.test/x", canonical_url="http://a.test/x", text="Bonjour"))
        session.commit()
    with factory() as session:
        page = session.scalars(select(PageRow)).one()
    assert (page.id, page.text) == ("p1", "Bonjour")


def test_migrating_twice_is_harmless(settings) -> None:
    url = settings.resolved_database_url
    open_database(url)[0].dispose()
    engine, _ = open_database(url)
    assert "pages" in inspect(engine).get_table_names()
    engine.dispose()


@pytest.mark.parametrize("url", ["notadb://x", "postgresql+nodriver://u@h/db"])
def test_bad_database_url_is_a_storage_error(url: str) -> None:
    from core.errors import StorageError
    from core.storage import make_engine

    with pytest.raises(StorageError) as err:
        make_engine(url)
    assert "VIGIE_DATABASE_URL" in str(err.value)
