"""Model version repository: the model table's history of trained, promoted and rolled-back versions."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.domain import ModelVersion, TaskVersions
from core.errors import InputError, NotFoundError
from core.storage.tables import AuditRow, ModelVersionRow

log = logging.getLogger(__name__)
# Called with (task, version) before the table changes: moving the files the analyzer loads comes first.
MoveFiles = Callable[[str, str], None]


@dataclass(frozen=True)
class TrainedVersion:
    """A freshly trained version of one task, as `vigie train` records it."""

    task: str
    version: str
    path: str
    metrics: dict[str, Any]
    promoted: bool


def as_model_version(row: ModelVersionRow) -> ModelVersion:
    """The value type of a model table row."""
    return ModelVersion(
        id=row.id,
        task=row.task,
        version=row.version,
        path=row.path,
        status=row.status,
        metrics=row.metrics,
        created_at=row.created_at,
        promoted_at=row.promoted_at,
    )


class ModelVersionRepository:
    """Reads and moves versions in the `model_versions` table; each change is audited and committed."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def by_task(self) -> dict[str, TaskVersions]:
        """Per task: the promoted version and every version, newest first."""
        out: dict[str, TaskVersions] = {}
        query = select(ModelVersionRow).order_by(ModelVersionRow.task, ModelVersionRow.id.desc())
        with self.session_factory() as session:
            for row in session.scalars(query):
                task = out.setdefault(row.task, TaskVersions())
                version = as_model_version(row)
                task.versions.append(version)
                if row.status == "promoted":
                    task.promoted = version
        return out

    def promote(self, model_id: int, actor: str, move_files: MoveFiles) -> ModelVersion:
        """Make a version the promoted one of its task; the previous one is retired (kept for rollback)."""
        with self.session_factory() as session:
            row = session.get(ModelVersionRow, model_id)
            if row is None:
                raise NotFoundError(f"no model version {model_id}", hint="see /admin/modeles for the list")
            previous = session.scalars(
                select(ModelVersionRow).where(
                    ModelVersionRow.task == row.task, ModelVersionRow.status == "promoted"
                )
            ).all()
            move_files(row.task, row.version)
            for old in previous:
                old.status = "retired"
            row.status, row.promoted_at = "promoted", datetime.now(UTC)
            before = {"promoted": [p.version for p in previous]}
            after = {"task": row.task, "promoted": [row.version]}
            session.add(AuditRow(actor=actor, action="promote", before=before, after=after))
            session.commit()
            log.info("model promoted task=%s version=%s actor=%s", row.task, row.version, actor)
            return as_model_version(row)

    def rollback(self, task: str, actor: str, move_files: MoveFiles) -> ModelVersion:
        """Go back to the version promoted before the current one."""
        with self.session_factory() as session:
            current = session.scalars(
                select(ModelVersionRow).where(
                    ModelVersionRow.task == task, ModelVersionRow.status == "promoted"
                )
            ).first()
            previous = session.scalars(
                select(ModelVersionRow)
                .where(ModelVersionRow.task == task, ModelVersionRow.status == "retired")
                .order_by(ModelVersionRow.promoted_at.desc())
            ).first()
            if current is None or previous is None:
                raise InputError(
                    f"nothing to roll back for task {task!r}", hint="a rollback needs two promoted versions"
                )
            move_files(task, previous.version)
            current.status = "rolled_back"
            previous.status, previous.promoted_at = "promoted", datetime.now(UTC)
            session.add(
                AuditRow(
                    actor=actor,
                    action="rollback",
                    before={"promoted": [current.version]},
                    after={"task": task, "promoted": [previous.version]},
                )
            )
            session.commit()
            return as_model_version(previous)

    def mirror(
        self,
        folders: Iterable[tuple[str, str, Path]],
        current: dict[str, str],
        read_metrics: Callable[[Path], dict[str, Any]],
    ) -> int:
        """Add the (task, version, folder) not yet in the table, mark the promoted ones; returns the added.

        ``read_metrics`` is called for new versions only, so an old unreadable folder does not block.
        """
        added = 0
        with self.session_factory() as session:
            known = {(r.task, r.version): r for r in session.scalars(select(ModelVersionRow))}
            for task, version, folder in folders:
                row = known.get((task, version))
                if row is None:
                    row = ModelVersionRow(
                        task=task, version=version, path=str(folder), metrics=read_metrics(folder)
                    )
                    session.add(row)
                    added += 1
                promoted = current.get(task) == version
                if promoted and row.status != "promoted":
                    row.status, row.promoted_at = "promoted", datetime.now(UTC)
                elif not promoted and row.status == "promoted":
                    row.status = "retired"
            session.commit()
        return added

    def add_trained(self, versions: Iterable[TrainedVersion]) -> None:
        """Record freshly trained versions, promoted or candidates, in one transaction."""
        with self.session_factory() as session, session.begin():
            for v in versions:
                session.add(
                    ModelVersionRow(
                        task=v.task,
                        version=v.version,
                        path=v.path,
                        metrics=v.metrics,
                        status="promoted" if v.promoted else "candidate",
                        promoted_at=datetime.now(UTC) if v.promoted else None,
                    )
                )
