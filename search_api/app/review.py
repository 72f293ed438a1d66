"""The review queue: list detections, validate, reject, correct, in bulk, with an undoable audit trail."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, defer

from core.domain import INNOVATION_TYPES
from core.errors import InputError, NotFoundError
from core.storage.tables import AnalysisRow, AuditRow, PageRow, ReviewRow

log = logging.getLogger(__name__)

ACTIONS = ("validate", "reject", "correct", "reset")
STATUS_OF_ACTION = {"validate": "validated", "reject": "rejected", "reset": "pending"}
EDITABLE_FIELDS = ("name", "carrier", "commune", "qpv_code", "innovation_types", "is_initiative", "in_qpv")


@dataclass
class QueueFilters:
    """The filters shared by the queue, the catalogue and exports."""

    status: str | None = "pending"
    text: str | None = None
    source: str | None = None
    commune: str | None = None
    innovation_type: str | None = None
    min_score: float | None = None
    in_qpv: bool | None = None
    sort: str = "score"
    limit: int = 50
    offset: int = 0


@dataclass
class Item:
    """One detection as the reviewer sees it: analysis, page, decision and corrections applied."""

    doc_id: str
    title: str | None
    url: str | None
    source: str | None
    date: str | None
    text: str
    score: float
    status: str
    reason: str | None
    reviewer: str | None
    analysis: dict[str, Any]
    corrections: dict[str, Any] = field(default_factory=dict)

    @property
    def first_initiative(self) -> dict[str, Any]:
        initiatives = self.analysis.get("initiatives") or []
        return dict(initiatives[0]) if initiatives else {}

    @property
    def values(self) -> dict[str, Any]:
        """The editable fields as detected, then overridden by the reviewer's corrections."""
        ini = self.first_initiative
        qpv = self.analysis.get("qpv") or []
        communes = self.analysis.get("communes") or []
        detected = {
            "name": ini.get("name"),
            "carrier": ini.get("carrier"),
            "commune": ini.get("commune") or (communes[0]["name"] if communes else None),
            "qpv_code": ini.get("qpv_code") or (qpv[0]["code"] if qpv else None),
            "innovation_types": list(self.analysis.get("innovation_types") or []),
            "is_initiative": bool(self.analysis.get("is_initiative")),
            "in_qpv": self.analysis.get("in_qpv"),
        }
        return {**detected, **self.corrections}

    @property
    def evidence(self) -> list[str]:
        """Evidence sentences of every initiative found."""
        return [s for ini in self.analysis.get("initiatives") or [] for s in ini.get("evidence") or []]

    def snapshot(self) -> dict[str, Any]:
        """What the audit trail records before and after an action."""
        return {"status": self.status, "reason": self.reason, "corrections": dict(self.corrections)}


def _base_query() -> Select[tuple[AnalysisRow, PageRow, ReviewRow]]:
    """Analyses with their page and (outer-joined, so possibly None) review."""
    return (
        select(AnalysisRow, PageRow, ReviewRow)
        .join(PageRow, PageRow.id == AnalysisRow.doc_id)
        .outerjoin(ReviewRow, ReviewRow.doc_id == AnalysisRow.doc_id)
    )


def _apply_filters(query: Select[Any], f: QueueFilters) -> Select[Any]:
    if f.status == "pending":
        query = query.where(AnalysisRow.is_initiative.is_(True))
        query = query.where(or_(ReviewRow.status.is_(None), ReviewRow.status == "pending"))
    elif f.status:
        query = query.where(ReviewRow.status == f.status)
    if f.text:
        like = f"%{f.text}%"
        query = query.where(or_(PageRow.title.ilike(like), PageRow.text.ilike(like)))
    if f.source:
        query = query.where(PageRow.source == f.source)
    if f.min_score is not None:
        query = query.where(AnalysisRow.initiative_score >= f.min_score)
    if f.in_qpv is not None:
        query = query.where(AnalysisRow.in_qpv.is_(f.in_qpv))
    order = PageRow.date.desc() if f.sort == "date" else AnalysisRow.initiative_score.desc()
    return query.order_by(order, AnalysisRow.doc_id)


def _to_item(analysis: AnalysisRow, page: PageRow, review: ReviewRow | None, with_text: bool = True) -> Item:
    return Item(
        doc_id=analysis.doc_id,
        title=page.title,
        url=page.url,
        source=page.source,
        date=page.date,
        text=(page.text or "") if with_text else "",
        score=float(analysis.initiative_score),
        status=review.status if review else "pending",
        reason=review.reason if review else None,
        reviewer=review.reviewer if review else None,
        analysis=dict(analysis.result or {}),
        corrections=dict(review.corrections or {}) if review else {},
    )


def _matches_python_filters(item: Item, f: QueueFilters) -> bool:
    """Filters on JSON content, applied after SQL (portable across SQLite and PostgreSQL)."""
    values = item.values
    if f.commune and (values.get("commune") or "").lower() != f.commune.lower():
        names = {c.get("name", "").lower() for c in item.analysis.get("communes") or []}
        if f.commune.lower() not in names:
            return False
    return not (f.innovation_type and f.innovation_type not in (values.get("innovation_types") or []))


def list_items(session: Session, filters: QueueFilters) -> list[Item]:
    """Detections matching the filters, best score (or newest) first; page texts are not loaded."""
    query = _apply_filters(_base_query(), filters).options(defer(PageRow.text, raiseload=True))
    if not (filters.commune or filters.innovation_type):  # everything is in SQL: paginate there
        rows = session.execute(query.limit(filters.limit).offset(filters.offset)).all()
        return [_to_item(a, p, r, with_text=False) for a, p, r in rows]
    items: list[Item] = []
    skipped = 0
    for a, p, r in session.execute(query.execution_options(yield_per=500)):
        item = _to_item(a, p, r, with_text=False)
        if not _matches_python_filters(item, filters):
            continue
        if skipped < filters.offset:
            skipped += 1
            continue
        items.append(item)
        if len(items) >= filters.limit:
            break
    return items


def get_item(session: Session, doc_id: str) -> Item:
    """One detection, or a NotFoundError naming it."""
    row = session.execute(_base_query().where(AnalysisRow.doc_id == doc_id)).first()
    if row is None:
        raise NotFoundError(f"no analysed document {doc_id!r}", hint="pick a document from the review queue")
    return _to_item(*row)


def _clean_corrections(raw: dict[str, Any]) -> dict[str, Any]:
    unknown = set(raw) - set(EDITABLE_FIELDS)
    if unknown:
        raise InputError(
            f"cannot correct field(s) {sorted(unknown)}",
            hint=f"editable fields: {', '.join(EDITABLE_FIELDS)}",
        )
    clean = dict(raw)
    types = clean.get("innovation_types")
    if types is not None:
        if isinstance(types, str):
            types = [t.strip() for t in types.split(",") if t.strip()]
        bad = [t for t in types if t not in INNOVATION_TYPES]
        if bad:
            raise InputError(f"unknown innovation type(s) {bad}", hint=f"use: {', '.join(INNOVATION_TYPES)}")
        clean["innovation_types"] = list(types)
    for key in ("name", "carrier", "commune", "qpv_code"):
        if key in clean and isinstance(clean[key], str):
            clean[key] = clean[key].strip() or None
    return clean


def _save_state(session: Session, doc_id: str, state: dict[str, Any], actor: str) -> None:
    row = session.get(ReviewRow, doc_id) or ReviewRow(doc_id=doc_id)
    row.status = state["status"]
    row.reason = state.get("reason")
    row.corrections = dict(state.get("corrections") or {})
    row.reviewer = actor
    session.add(row)


def apply_action(
    session: Session,
    doc_id: str,
    actor: str,
    action: str,
    reason: str | None = None,
    corrections: dict[str, Any] | None = None,
) -> AuditRow:
    """Validate, reject (with a reason), correct fields or reset a detection; audited, then committed."""
    if action not in ACTIONS:
        raise InputError(f"unknown review action {action!r}", hint=f"use one of: {', '.join(ACTIONS)}")
    item = get_item(session, doc_id)
    before = item.snapshot()
    after = dict(before)
    if action == "reject":
        if not reason or not reason.strip():
            raise InputError("a rejection needs a reason", hint="say why the detection is wrong")
        after["reason"] = reason.strip()
    if action in STATUS_OF_ACTION:
        after["status"] = STATUS_OF_ACTION[action]
    if action == "validate":
        after["reason"] = None
    if action == "correct":
        if not corrections:
            raise InputError("nothing to correct", hint=f"send one of: {', '.join(EDITABLE_FIELDS)}")
        after["corrections"] = {**before["corrections"], **_clean_corrections(corrections)}
    _save_state(session, doc_id, after, actor)
    audit = AuditRow(actor=actor, action=action, doc_id=doc_id, before=before, after=after)
    session.add(audit)
    session.commit()
    log.info("review action=%s doc_id=%s actor=%s", action, doc_id, actor)
    return audit


def undo(session: Session, audit_id: int, actor: str) -> AuditRow:
    """Restore the state before an audited action; the undo is itself audited."""
    target = session.get(AuditRow, audit_id)
    if target is None or target.doc_id is None or target.before is None:
        raise NotFoundError(f"no undoable audit entry {audit_id}", hint="pick an entry from the history")
    current = get_item(session, target.doc_id).snapshot()
    _save_state(session, target.doc_id, dict(target.before), actor)
    audit = AuditRow(
        actor=actor,
        action="undo",
        doc_id=target.doc_id,
        before=current,
        after=target.before,
        undo_of=target.id,
    )
    session.add(audit)
    session.commit()
    return audit


def apply_bulk(
    session: Session, doc_ids: list[str], actor: str, action: str, reason: str | None = None
) -> dict[str, Any]:
    """Apply one action to many detections; one bad item never stops the others."""
    done, failed = [], {}
    for doc_id in doc_ids:
        try:
            apply_action(session, doc_id, actor, action, reason=reason)
            done.append(doc_id)
        except (InputError, NotFoundError) as exc:
            session.rollback()
            failed[doc_id] = exc.message
    return {"done": done, "failed": failed}


def history(session: Session, doc_id: str | None = None, limit: int = 100) -> list[AuditRow]:
    """Audit entries, newest first, optionally for one document."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if doc_id:
        query = query.where(AuditRow.doc_id == doc_id)
    return list(session.scalars(query))


def review_labels(item: Item) -> dict[str, Any] | None:
    """A reviewed detection as training labels (None while pending): corrections become examples."""
    if item.status == "pending":
        return None
    values = item.values
    is_initiative = bool(values["is_initiative"]) if item.status == "validated" else False
    if item.status == "rejected" and "is_initiative" in item.corrections:
        is_initiative = bool(item.corrections["is_initiative"])
    return {
        "is_initiative": is_initiative,
        "in_qpv": values.get("in_qpv"),
        "innovation_types": values.get("innovation_types") or [],
        "communes": [values["commune"]] if values.get("commune") else [],
    }
