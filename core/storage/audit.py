"""Audit log repository: who changed what, when, with the values before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.storage.tables import AuditRow


def add_audit(
    session: Session,
    actor: str,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    doc_id: str | None = None,
) -> AuditRow:
    """Add an audit entry to the session's transaction (the caller commits it with its change)."""
    row = AuditRow(actor=actor, action=action, before=before, after=after, doc_id=doc_id)
    session.add(row)
    return row
