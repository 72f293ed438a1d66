"""Audit log repository: who changed what, when, with the values before and after; the chain check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.storage.tables import AuditRow, ReviewRow


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


INITIAL_STATE: dict[str, Any] = {"status": "pending", "reason": None, "corrections": {}}


@dataclass(frozen=True)
class ChainViolation:
    """An audit entry whose "before" is not the state its document was in."""

    doc_id: str
    audit_id: int | None
    expected: dict[str, Any] | None
    found: dict[str, Any] | None
    problem: str


def _state(value: dict[str, Any] | None) -> dict[str, Any]:
    value = value or {}
    return {
        "status": value.get("status", "pending"),
        "reason": value.get("reason"),
        "corrections": dict(value.get("corrections") or {}),
    }


def find_chain_violations(session: Session) -> list[ChainViolation]:
    """Check the invariant of the review audit trail, document by document.

    The first entry starts from the never-reviewed state, each entry's "before" is the previous entry's
    "after", and the last "after" is the review stored now. Undo relies on it: it restores a "before".
    """
    violations: list[ChainViolation] = []
    current = {r.doc_id: r for r in session.scalars(select(ReviewRow))}
    previous: dict[str, dict[str, Any]] = {}
    query = select(AuditRow).where(AuditRow.doc_id.is_not(None), AuditRow.before.is_not(None))
    for entry in session.scalars(query.order_by(AuditRow.id).execution_options(yield_per=1000)):
        doc_id = str(entry.doc_id)
        expected = previous.get(doc_id, INITIAL_STATE)
        if _state(entry.before) != _state(expected):
            violations.append(
                ChainViolation(doc_id, entry.id, expected, entry.before, "before is not the previous after")
            )
        previous[doc_id] = _state(entry.after)
    for doc_id, last in previous.items():
        row = current.get(doc_id)
        stored = _state(
            {"status": row.status, "reason": row.reason, "corrections": row.corrections} if row else None
        )
        if stored != last:
            violations.append(
                ChainViolation(doc_id, None, last, stored, "the stored review is not the last audited after")
            )
    return violations
