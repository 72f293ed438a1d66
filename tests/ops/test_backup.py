"""`vigie backup` then `vigie restore` into an empty database of either kind gives the same records."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

import core.storage.tables  # noqa: F401
from core.errors import InputError, StorageError
from core.storage import Base, open_database
from core.storage.tables import AnnotationRow, AuditRow, PageRow, ReviewRow, UserRow
from core.storage.tables.analysis import AnalysisRow
from tests.support.cli import run_vigie
from vigie.ops.backup import backup_database, restore_database

WHEN = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)


def _fill(factory: Any) -> None:
    with factory() as session:
        session.add(UserRow(username="amina", password_hash="$argon2id$x", role="reviewer", created_at=WHEN))
        session.add(
            PageRow(id="p1", canonical_url="https://ex.fr/a", text="Le fablab de Bellevue ouvre.", title="É")
        )
        session.add(PageRow(id="p2", canonical_url="https://ex.fr/b", text="Appel à projets 2026"))
        session.add(
            AnalysisRow(
                doc_id="p1",
                result={"id": "p1", "qpv": [{"code": "QN04401M"}]},
                is_initiative=True,
                initiative_score=0.91,
                in_qpv=True,
                doc_kind="press",
                analysed_at=WHEN,
            )
        )
        session.add(
            ReviewRow(doc_id="p1", status="validated", reviewer="amina", corrections={"commune": "Nantes"})
        )
        session.add(
            ReviewRow(doc_id="p2", status="rejected", reason="appel, pas une initiative", reviewer="amina")
        )
        for i, annotator in enumerate(["amina", "jules", "amina"]):
            session.add(
                AnnotationRow(
                    doc_id=f"p{i % 2 + 1}",
                    annotator=annotator,
                    created_at=WHEN,
                    labels={"is_initiative": i != 1, "innovation_types": ["sociale"]},
                )
            )
        session.add(
            AuditRow(
                actor="amina",
                action="validate",
                doc_id="p1",
                before={"status": "pending"},
                after={"status": "validated"},
                created_at=WHEN,
            )
        )
        session.commit()


def _human_records(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        reviews = conn.execute(
            select(
                ReviewRow.doc_id,
                ReviewRow.status,
                ReviewRow.reason,
                ReviewRow.corrections,
                ReviewRow.reviewer,
            ).order_by(ReviewRow.doc_id)
        ).all()
        annotations = conn.execute(
            select(
                AnnotationRow.id, AnnotationRow.doc_id, AnnotationRow.annotator, AnnotationRow.labels
            ).order_by(AnnotationRow.id)
        ).all()
        audit = conn.execute(select(AuditRow.actor, AuditRow.action, AuditRow.before, AuditRow.after)).all()
        users = conn.execute(select(UserRow.username, UserRow.role)).all()
        pages = conn.execute(select(PageRow.id, PageRow.text, PageRow.title).order_by(PageRow.id)).all()
    return {
        "reviews": [tuple(r) for r in reviews],
        "annotations": [tuple(r) for r in annotations],
        "audit": [tuple(r) for r in audit],
        "users": [tuple(r) for r in users],
        "pages": [tuple(r) for r in pages],
    }


@pytest.mark.postgres
@pytest.mark.parametrize("direction", ["sqlite->postgresql", "postgresql->sqlite"])
def test_round_trip_between_database_kinds(direction: str, pg_url: str, tmp_path: Path) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'src.db'}"
    source_url, target_url = (sqlite_url, pg_url) if direction.startswith("sqlite") else (pg_url, sqlite_url)
    source, factory = open_database(source_url)
    _fill(factory)
    archive = backup_database(source, tmp_path / "vigie.tar.gz").path
    target, target_factory = open_database(target_url)
    report = restore_database(target, archive)
    assert report.rows["reviews"] == 2 and report.rows["annotations"] == 3
    assert _human_records(target) == _human_records(source)
    # Serial sequences moved past restored ids: a new annotation gets a fresh id.
    with target_factory() as session:
        session.add(AnnotationRow(doc_id="p2", annotator="jules", labels={"is_initiative": False}))
        session.commit()
        ids = session.scalars(select(AnnotationRow.id).order_by(AnnotationRow.id)).all()
    assert ids == [1, 2, 3, 4]
    source.dispose()
    target.dispose()


def test_restore_refuses_a_database_that_is_not_empty(tmp_path: Path) -> None:
    engine, factory = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    _fill(factory)
    archive = backup_database(engine, tmp_path / "a.tar.gz").path
    with pytest.raises(StorageError) as err:
        restore_database(engine, archive)
    assert "not empty" in str(err.value) and "VIGIE_DATABASE_URL" in str(err.value)
    engine.dispose()


def test_a_corrupted_archive_writes_nothing(tmp_path: Path) -> None:
    engine, factory = open_database(f"sqlite:///{tmp_path / 'a.db'}")
    _fill(factory)
    archive = backup_database(engine, tmp_path / "a.tar.gz").path
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(tampered, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "tables/reviews.jsonl":
                data = data.replace(b"validated", b"rejected!")
            member.size = len(data)

            dst.addfile(member, io.BytesIO(data))
    target, _ = open_database(f"sqlite:///{tmp_path / 'b.db'}")
    with pytest.raises(InputError, match="checksum"):
        restore_database(target, tampered)
    with target.connect() as conn:
        assert all(conn.execute(select(t)).first() is None for t in Base.metadata.sorted_tables)
    with pytest.raises(InputError, match="not a readable tar.gz"):
        restore_database(target, tmp_path / "a.db")
    engine.dispose()
    target.dispose()


def test_cli_backup_and_restore(tmp_path: Path) -> None:
    src_url, dst_url = f"sqlite:///{tmp_path / 'src.db'}", f"sqlite:///{tmp_path / 'dst.db'}"
    source, factory = open_database(src_url)
    _fill(factory)

    def vigie(url: str, *args: str) -> subprocess.CompletedProcess[str]:
        return run_vigie(args, tmp_path / "var", env={"VIGIE_DATABASE_URL": url}, timeout=120)

    out = vigie(src_url, "backup", str(tmp_path / "b.tar.gz"))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["rows"]["annotations"] == 3
    done = vigie(dst_url, "restore", str(tmp_path / "b.tar.gz"))
    assert done.returncode == 0, done.stderr
    again = vigie(dst_url, "restore", str(tmp_path / "b.tar.gz"))
    assert again.returncode == 1 and "not empty" in again.stderr
    target, _ = open_database(dst_url)
    assert _human_records(target) == _human_records(source)
    source.dispose()
    target.dispose()
