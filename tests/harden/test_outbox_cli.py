"""`vigie index --outbox` indexes what review actions left in the outbox (as `vigie watch` runs it)."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from core.storage import outbox
from search_api.app import review
from search_api.engines.documents import reindex
from tests.support.live_app import seed
from vigie.cli import make_app


def test_index_outbox_drains_review_changes(settings: Any, db: Any) -> None:
    _, factory = db
    seed(factory)
    from vigie.wiring import make_search_engine

    engine = make_search_engine(settings)
    reindex(factory, engine)
    assert engine.get_document("d2")["review_status"] == ["pending"]
    engine.close()
    with factory() as session:  # the action commits its outbox row; nobody drains it (a crash)
        review.apply_action(session, "d2", "rita", "reject", reason="hors sujet")
        assert outbox.count_pending(session) == 1
    done = CliRunner().invoke(make_app(), ["index", "--outbox"])
    assert done.exit_code == 0, done.output
    assert "indexed 1 document(s) from the outbox" in done.output
    with factory() as session:
        assert outbox.count_pending(session) == 0
    engine = make_search_engine(settings)
    assert engine.get_document("d2")["review_status"] == ["rejected"]
    engine.close()
