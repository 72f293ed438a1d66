"""Two reviewers at once on one item, on SQLite and PostgreSQL: no lost update, no 500, the audit chains."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from core.storage.audit import find_chain_violations
from core.storage.tables import AuditRow, ReviewRow
from tests.support.cli import run_vigie
from tests.support.live_app import LiveApp, live_app

pytestmark = pytest.mark.postgres
N = 12
# Real communes (a place correction is checked against the reference), far from d2's QPV: assumed.
CITIES = ["Lyon", "Marseille", "Toulouse", "Nice", "Nantes", "Strasbourg", "Montpellier", "Bordeaux", "Lille",
          "Rennes", "Reims", "Brest"]  # fmt: skip


@pytest.fixture
def live(any_db_url: str, tmp_path: Path, shared_dir: Path) -> Any:
    with live_app(tmp_path / "var", shared_dir / "data" / "reference", any_db_url) as app:
        yield app


def _race(live: LiveApp, doc_id: str, plans: list[tuple[str, list[dict[str, Any]]]]) -> list[httpx.Response]:
    """Each (role, bodies) runs in its own thread and client; all start together."""
    barrier = threading.Barrier(len(plans))
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def run(role: str, bodies: list[dict[str, Any]]) -> None:
        with live.client(role) as client:
            barrier.wait()
            for body in bodies:
                response = client.post(f"/api/review/{doc_id}", json=body)
                with lock:
                    answers.append(response)

    threads = [threading.Thread(target=run, args=plan) for plan in plans]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def test_two_reviewers_lose_nothing_and_the_audit_chains(live: LiveApp) -> None:
    names = [{"action": "correct", "corrections": {"name": f"Nom A{i}"}} for i in range(N)]
    decisions = [
        {"action": "validate"} if i % 2 else {"action": "reject", "reason": f"motif B{i}"} for i in range(N)
    ]
    communes = [
        {"action": "correct", "corrections": {"commune": CITIES[i], "place_mismatch_assumed": True}}
        for i in range(N)
    ]
    # d2 was never reviewed: the first actions race to create its review row.
    answers = _race(live, "d2", [("reviewer", names), ("admin", decisions), ("reviewer", communes)])

    assert [r.status_code for r in answers if r.status_code != 200] == []
    with live.client("reviewer") as client:
        item = client.get("/api/review/d2").json()
        entries = client.get("/api/audit", params={"doc_id": "d2", "limit": 1000}).json()["entries"]
    # No lost update: the last value of every client survived the others.
    assert item["values"]["name"] == f"Nom A{N - 1}"
    assert item["values"]["commune"] == CITIES[N - 1]
    assert item["status"] == ("validated" if (N - 1) % 2 else "rejected")
    assert item["version"] == 3 * N
    # Every applied action is audited once, and each "before" is the previous "after".
    assert len(entries) == 3 * N
    chain = sorted(entries, key=lambda e: e["id"])
    for previous, entry in zip(chain, chain[1:], strict=False):
        assert entry["before"] == previous["after"]
    with live.services.session_factory() as session:
        assert find_chain_violations(session) == []
    # The index agrees with the database.
    assert live.services.search_engine is not None
    indexed = live.services.search_engine.get_document("d2")
    assert indexed["review_status"] == [item["status"]]


def test_a_stale_version_answers_409_and_changes_nothing(live: LiveApp) -> None:
    with live.client("reviewer") as client:
        version = client.get("/api/review/d3").json()["version"]
    assert version == 0  # never reviewed
    first = [{"action": "validate", "version": version}]
    second = [{"action": "reject", "reason": "x", "version": version}]
    answers = _race(live, "d3", [("reviewer", first), ("admin", second)])
    codes = sorted(r.status_code for r in answers)
    assert codes == [200, 409]
    conflict = next(r for r in answers if r.status_code == 409).json()["error"]
    assert conflict["code"] == "E011"
    assert "rechargez la page" in conflict["hint"]
    with live.client("reviewer") as client:
        entries = client.get("/api/audit", params={"doc_id": "d3"}).json()["entries"]
        assert client.get("/api/review/d3").json()["version"] == 1
    assert len(entries) == 1


def test_the_ui_shows_the_conflict_in_french(live: LiveApp) -> None:
    with live.client("reviewer") as client:
        client.post("/api/review/d5", json={"action": "validate"})
        # A form rendered before that change still carries version 0.
        page = client.post(
            "/revue/d5/action",
            data={"action": "reject", "reason": "doublon", "version": "0"},
            headers={"accept": "text/html"},
        )
    assert page.status_code == 409
    assert "Quelqu&#39;un a modifié cet élément entre-temps : rechargez la page" in page.text
    assert page.headers["x-frame-options"] == "DENY"


def test_doctor_reports_a_broken_chain(live: LiveApp, tmp_path: Path) -> None:
    with live.client("reviewer") as client:
        client.post("/api/review/d1", json={"action": "validate"})
        client.post("/api/review/d1", json={"action": "reject", "reason": "hors QPV"})
    env = {"VIGIE_DATABASE_URL": live.settings.resolved_database_url, "VIGIE_DATA_DIR": str(tmp_path / "d")}
    ok = _doctor(env)
    assert ok.returncode == 0, ok.stderr
    assert "violations: 0" in ok.stdout
    with live.services.session_factory() as session:
        last = max(e.id for e in session.query(AuditRow).filter(AuditRow.doc_id == "d1"))
        forged = {"status": "pending", "reason": None, "corrections": {}}
        session.execute(update(AuditRow).where(AuditRow.id == last).values(before=forged))
        session.commit()
    broken = _doctor(env)
    assert broken.returncode == 1
    assert "document 'd1'" in broken.stderr and "before is not the previous after" in broken.stderr
    with live.services.session_factory() as session:  # a correction stored untyped, before this check
        session.execute(
            update(ReviewRow).where(ReviewRow.doc_id == "d1").values(corrections={"is_initiative": "false"})
        )
        session.commit()
    typed = _doctor(env)
    assert typed.returncode == 1 and "is_initiative" in typed.stderr


def _doctor(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_vigie(["doctor"], env=env, timeout=120)
