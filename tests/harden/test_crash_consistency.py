"""Kill -9 of `vigie serve` in the middle of a bulk validation, then a restart: search agrees with the
database without an operator (the index outbox written with each action is drained at start)."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from core.settings import load_settings
from core.storage import open_database, outbox
from core.storage.tables import AnalysisRow, PageRow, ReviewRow
from search_api.app.auth import add_user, create_api_token
from search_api.engines.documents import reindex
from tests.support.cli import serve_vigie
from tests.support.live_app import make_analysis

N = 300


def _seed(factory: Any) -> str:
    with factory() as session:
        for i in range(N):
            doc_id = f"c{i:04d}"
            doc = {"id": doc_id, "title": f"Atelier {i}", "score": 0.5 + (i % 40) / 100, "types": ["sociale"],
                   "name": f"Atelier {i}", "carrier": "Centre social", "qpv": True, "source": "presse",
                   "evidence": f"Le centre social ouvre l'atelier numéro {i} aux habitants."}  # fmt: skip
            url = f"https://exemple.test/{doc_id}"
            session.add(
                PageRow(id=doc_id, url=url, canonical_url=url, title=doc["title"], text=doc["evidence"])
            )
            result = make_analysis(doc)
            session.add(AnalysisRow(doc_id=doc_id, result=result, is_initiative=True, in_qpv=True,
                                    initiative_score=doc["score"], doc_kind="press"))  # fmt: skip
        session.commit()
        add_user(session, "ada", "motdepasse-test", "admin")
        return create_api_token(session, "ada", "crash test")


def _db_counts(factory: Any) -> dict[str, int]:
    with factory() as session:
        rows = session.execute(select(ReviewRow.status, func.count()).group_by(ReviewRow.status)).all()
    counts = {status: int(n) for status, n in rows}
    counts["pending"] = N - sum(v for k, v in counts.items() if k != "pending")
    return counts


def _search_counts(client: httpx.Client) -> dict[str, int]:
    answer = client.get("/api/search", params={"mode": "keyword", "facets": "review_status", "size": 1})
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["facets"]["review_status"])


def test_search_agrees_with_the_database_after_kill_9_mid_bulk(tmp_path: Path, shared_dir: Path) -> None:
    data_dir = tmp_path / "var"
    env = {**os.environ, "VIGIE_DATA_DIR": str(data_dir), "VIGIE_SECRET_KEY": "crash-test-secret",
           "VIGIE_REFERENCE_DIR": str(shared_dir / "data" / "reference"), "VIGIE_LOG_LEVEL": "INFO",
           "HF_HUB_OFFLINE": "1"}  # fmt: skip
    for name in ("VIGIE_DATABASE_URL", "VIGIE_SEARCH_BACKEND"):
        env.pop(name, None)
    settings = load_settings(data_dir=data_dir)
    engine_db, factory = open_database(settings.resolved_database_url)
    token = _seed(factory)
    from vigie.wiring import make_search_engine

    search_engine = make_search_engine(settings)
    reindex(factory, search_engine)  # vectors cached: the server's re-indexing reuses them
    search_engine.close()
    headers = {"Authorization": f"Bearer {token}"}

    with serve_vigie(env) as (proc, url):
        with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
            assert _search_counts(client) == {"pending": N}
        ids = [f"c{i:04d}" for i in range(N)]

        def bulk() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                httpx.post(f"{url}/api/review-bulk", json={"action": "validate", "doc_ids": ids},
                           headers=headers, timeout=300)  # fmt: skip

        sender = threading.Thread(target=bulk, daemon=True)
        sender.start()
        deadline = time.monotonic() + 120
        while _db_counts(factory).get("validated", 0) < 5:  # the bulk is under way
            assert time.monotonic() < deadline, "the bulk validation never started"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        sender.join(timeout=60)
    at_kill = _db_counts(factory)
    with factory() as session:
        waiting = outbox.count_pending(session)
    assert 0 < at_kill["validated"] < N, at_kill  # killed mid-way
    assert waiting >= at_kill["validated"]  # every applied action left its index work in the outbox

    with serve_vigie(env) as (_proc, url), httpx.Client(base_url=url, headers=headers, timeout=300) as client:
        deadline = time.monotonic() + 180
        while True:  # the restarted server drains the outbox by itself: no `vigie index`
            seen = _search_counts(client)
            if seen == {k: v for k, v in _db_counts(factory).items() if v}:
                break
            assert time.monotonic() < deadline, f"search {seen} != database {_db_counts(factory)}"
            time.sleep(0.2)
    with factory() as session:
        assert outbox.count_pending(session) == 0
    print(
        f"killed after {at_kill['validated']} of {N} validations; outbox held {waiting} rows; search agreed"
    )
    engine_db.dispose()
