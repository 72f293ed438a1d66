"""Watch state in the database: crash recovery, due sources, leases, outcomes (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.storage import open_database
from core.storage.tables.ops import WatchRunRow, WatchStateRow
from vigie.ops.watch_store import WatchStore, now_utc

pytestmark = pytest.mark.postgres


def test_recovery_closes_my_runs_and_abandoned_ones_but_not_live_workers(any_db_url: str) -> None:
    engine, factory = open_database(any_db_url)
    me, other, dead = (WatchStore(factory, name) for name in ("w1", "w2", "w3"))
    me.ensure_sources(["a", "b"])
    assert me.claim("a", timedelta(hours=1)) and other.claim("b", timedelta(hours=1))
    mine, live, abandoned = (
        me.start_run("crawl", "a"),
        other.start_run("crawl", "b"),
        dead.start_run("index", None),
    )
    with factory() as session, session.begin():
        old = now_utc() - timedelta(hours=5)
        session.execute(update(WatchRunRow).where(WatchRunRow.id == abandoned).values(started_at=old))
    assert me.recover(abandoned_after=timedelta(hours=4)) == 2
    with factory() as session:
        status = dict(session.execute(select(WatchRunRow.id, WatchRunRow.status)).all())
        leases = dict(session.execute(select(WatchStateRow.source_id, WatchStateRow.lease_owner)).all())
    assert status == {mine: "interrupted", live: "running", abandoned: "interrupted"}
    assert leases == {"a": None, "b": "w2"}
    engine.dispose()


def test_due_sources_skip_future_runs_and_held_leases(any_db_url: str) -> None:
    engine, factory = open_database(any_db_url)
    store = WatchStore(factory, "w1")
    store.ensure_sources(["due", "later", "held", "failed"])
    store.release("later", ok=True, next_run_at=now_utc() + timedelta(hours=1), error=None)
    store.release("failed", ok=False, next_run_at=now_utc() - timedelta(minutes=1), error="boom")
    assert WatchStore(factory, "w2").claim("held", timedelta(minutes=10))
    assert store.due_sources(["due", "later", "held", "failed"], now_utc()) == [
        "due",
        "failed",
    ]  # never run first
    assert store.failures("failed") == 1 and store.failures("due") == 0
    store.release("failed", ok=True, next_run_at=None, error=None)
    assert store.failures("failed") == 0
    engine.dispose()


def test_a_lease_is_renewed_only_by_its_owner(any_db_url: str) -> None:
    engine, factory = open_database(any_db_url)
    owner, other = WatchStore(factory, "w1"), WatchStore(factory, "w2")
    assert owner.claim("a", timedelta(seconds=-1))  # already expired: anyone may take it...
    assert owner.renew("a", timedelta(minutes=5))  # ...unless its owner renews it in time
    assert not other.claim("a", timedelta(minutes=5))
    assert not other.renew("a", timedelta(minutes=5))
    owner.free_lease("a")
    assert not owner.renew("a", timedelta(minutes=5))  # a freed lease is not silently taken back
    assert other.claim("a", timedelta(minutes=5))
    engine.dispose()
