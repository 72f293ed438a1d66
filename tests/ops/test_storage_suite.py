"""The storage suite, run on SQLite and on the real PostgreSQL server: schema, types, constraints, writers."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy import types as satypes
from sqlalchemy.exc import IntegrityError

import core.storage.tables  # noqa: F401
from core.metrics import MetricsStore
from core.storage import Base, open_database
from core.storage.db import MIGRATIONS_DIR
from core.storage.tables.crawl import PageRow
from vigie.ops.watch_store import WatchStore

pytestmark = pytest.mark.postgres
MOMENT = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def _value_for(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, satypes.Boolean):
        return True
    if isinstance(kind, satypes.Integer):
        return 7
    if isinstance(kind, satypes.Float):
        return 0.625
    if isinstance(kind, satypes.DateTime):
        return MOMENT
    if isinstance(kind, satypes.Date):
        return date(2026, 3, 14)
    if isinstance(kind, satypes.JSON):
        return {"clé": ["Vénissieux", 1, None, True], "n": 0.5}
    if isinstance(kind, satypes.String) and kind.length:
        return "Créteil – Mont-Mesly ✓"[: kind.length]
    return "Texte accentué : « l'atelier » ✓"


def _normalise(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # SQLite hands back naive UTC datetimes
    return value


def test_migrations_build_exactly_the_tables(any_db_url: str) -> None:
    engine, _ = open_database(any_db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == [], f"tables and migrations disagree: {diff}"


def test_migrations_go_down_to_base_and_up_again(any_db_url: str) -> None:
    engine, _ = open_database(any_db_url)
    engine.dispose()
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", any_db_url.replace("%", "%%"))
    command.downgrade(cfg, "base")
    engine, _ = open_database(any_db_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


def test_every_table_round_trips_every_column_type(any_db_url: str) -> None:
    engine, _ = open_database(any_db_url)
    written: dict[str, dict[str, Any]] = {}
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            row = {c.name: _value_for(c) for c in table.columns}
            conn.execute(table.insert(), [row])
            written[table.name] = row
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            got = dict(conn.execute(select(table)).mappings().one())
            assert {k: _normalise(v) for k, v in got.items()} == written[table.name], table.name
    engine.dispose()


def test_a_canonical_url_is_stored_once(any_db_url: str) -> None:
    engine, factory = open_database(any_db_url)
    with factory() as session:
        session.add(PageRow(id="a", canonical_url="https://ex.fr/x", text="un"))
        session.commit()
        session.add(PageRow(id="b", canonical_url="https://ex.fr/x", text="deux"))
        with pytest.raises(IntegrityError):
            session.commit()
    engine.dispose()


def test_concurrent_metric_writers_lose_nothing(any_db_url: str) -> None:
    engine, factory = open_database(any_db_url)
    store = MetricsStore(factory)
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(15):
                store.inc("vigie_pages_fetched_total", source="ville-test")
        except BaseException as exc:  # noqa: BLE001  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.get("vigie_pages_fetched_total", source="ville-test") == 60
    engine.dispose()


def test_only_one_worker_gets_a_lease(any_db_url: str) -> None:
    engine, factory = open_database(any_db_url)
    first, second = WatchStore(factory, "worker-a"), WatchStore(factory, "worker-b")
    first.ensure_sources(["presse-test"])
    assert first.claim("presse-test", timedelta(minutes=5)) is True
    assert second.claim("presse-test", timedelta(minutes=5)) is False
    first.release("presse-test", ok=True, next_run_at=None, error=None)
    assert second.claim("presse-test", timedelta(minutes=5)) is True
    engine.dispose()


def test_an_analysis_by_a_partly_promoted_model_set_is_stored(any_db_url: str) -> None:
    """One task promoted alone names the set `task:version,...` (about 170 characters): stored whole."""
    from core.domain import Analysis
    from core.storage.analyses import AnalysisRepository
    from core.storage.tables import AnalysisRow

    version = ",".join(
        f"{task}:{'v11-real-urlcues' if task == 'doc_kind' else 'v10-real-cascade'}"
        for task in ("doc_kind", "initiative", "initiative_fast", "initiative_whole", "qpv", "types")
    )
    engine, factory = open_database(any_db_url)
    result = Analysis(
        id="doc-1",
        is_initiative=True,
        initiative_score=0.9,
        innovation_types=[],
        type_scores={},
        in_qpv=None,
        qpv=[],
        communes=[],
        doc_kind="press",
        initiatives=[],
        model_version=version,
    )
    AnalysisRepository(factory).save([(result, "hash")])
    with factory() as session:
        assert session.get(AnalysisRow, "doc-1").model_version == version  # type: ignore[union-attr]
    engine.dispose()
