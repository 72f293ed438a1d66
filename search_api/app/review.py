"""The review queue: list detections, validate, reject, correct, in bulk, with an undoable audit trail."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Select, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from core.errors import ConflictError, InputError, NotFoundError
from core.storage import outbox
from core.storage.base import utcnow
from core.storage.tables import AnalysisRow, AuditRow, PageRow, ReviewRow
from search_api.app.places import DERIVED_FIELDS, PLACE_FIELDS, PlaceDirectory, derive_place_corrections
from search_api.app.validation import MAX_LIMIT, parse_corrections

log = logging.getLogger(__name__)

ACTIONS = ("validate", "reject", "correct", "reset")
STATUS_OF_ACTION = {"validate": "validated", "reject": "rejected", "reset": "pending"}
EDITABLE_FIELDS = ("name", "carrier", "commune", "qpv_code", "innovation_types", "is_initiative", "in_qpv")
# Without an expected version, an action that lost a race is re-read and re-applied this many times.
RACE_RETRIES = 8
CONFLICT_HINT = "Quelqu'un a modifié cet élément entre-temps : rechargez la page"


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
    title_source: str | None = None
    date_source: str | None = None
    version: int = 0  # 0: never reviewed (no review row yet)

    @property
    def first_initiative(self) -> dict[str, Any]:
        initiatives = self.analysis.get("initiatives") or []
        return dict(initiatives[0]) if initiatives else {}

    @property
    def values(self) -> dict[str, Any]:
        """The editable fields as detected, then overridden by the reviewer's corrections."""
        return {**self.detected, **self.corrections}

    @property
    def detected(self) -> dict[str, Any]:
        """The editable fields as the analysis found them (before any correction)."""
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
        return detected

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
        title_source=page.title_source,
        date_source=page.date_source,
        version=int(review.version or 1) if review else 0,
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


def _clean_corrections(raw: dict[str, Any], item: Item, places: PlaceDirectory | None) -> dict[str, Any]:
    """Corrections typed per field (see `search_api.app.validation.Corrections`), unknown fields refused.

    A place correction (QPV code, commune) is checked against the reference data and brings the fields
    that follow it (QPV and commune records, department and region codes: see `places`).
    """
    derived = [k for k in DERIVED_FIELDS if k in raw]
    if derived:
        raise InputError(
            f"corrections cannot set {', '.join(derived)}: they follow qpv_code and commune",
            hint="send qpv_code and/or commune; the server derives the rest",
        )
    clean = parse_corrections(raw)
    if places is not None and any(k in clean for k in PLACE_FIELDS):
        clean.update(derive_place_corrections(places, clean, item.values, item.analysis))
    return clean


class _RaceLostError(Exception):
    """Another action changed the review row between our read and our write."""


def _write_state(session: Session, doc_id: str, version: int, state: dict[str, Any], actor: str) -> None:
    """Compare-and-set the review row: applies only if it is still at ``version`` (0: no row yet)."""
    values = {
        "status": state["status"],
        "reason": state.get("reason"),
        "corrections": dict(state.get("corrections") or {}),
        "reviewer": actor,
        "updated_at": utcnow(),
    }
    if version == 0:
        try:  # the caller rolls the whole transaction back on a lost race (no savepoint needed)
            session.execute(insert(ReviewRow).values(doc_id=doc_id, version=1, **values))
        except IntegrityError as exc:  # another first action inserted the row: re-read and retry
            raise _RaceLostError from exc
        return
    result = session.execute(
        update(ReviewRow)
        .where(ReviewRow.doc_id == doc_id, ReviewRow.version == version)
        .values(version=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # DML results carry rowcount
        raise _RaceLostError


def _conflict(doc_id: str, expected: int | None, current: int) -> ConflictError:
    return ConflictError(
        f"document {doc_id!r} changed meanwhile (version {current}, the action was for {expected})",
        hint=CONFLICT_HINT,
    )


def _next_state(
    item: Item,
    action: str,
    reason: str | None,
    corrections: dict[str, Any] | None,
    places: PlaceDirectory | None = None,
) -> dict[str, Any]:
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
        after["corrections"] = {**before["corrections"], **_clean_corrections(corrections, item, places)}
    return after


def _commit_change(
    session: Session,
    item: Item,
    after: dict[str, Any],
    actor: str,
    action: str,
    undo_of: int | None = None,
) -> AuditRow:
    """Write the new state, its audit entry and its outbox row in one transaction, then commit."""
    _write_state(session, item.doc_id, item.version, after, actor)
    audit = AuditRow(
        actor=actor, action=action, doc_id=item.doc_id, before=item.snapshot(), after=after, undo_of=undo_of
    )
    session.add(audit)
    outbox.enqueue(session, [item.doc_id])
    session.commit()
    return audit


def _with_retries(session: Session, doc_id: str, expected: int | None, attempt: Any) -> AuditRow:
    """Run ``attempt(item)`` on a fresh read until it wins its compare-and-set (or conflict)."""
    for _ in range(RACE_RETRIES):
        item = get_item(session, doc_id)
        if expected is not None and item.version != expected:
            session.rollback()
            raise _conflict(doc_id, expected, item.version)
        try:
            entry: AuditRow = attempt(item)
            return entry
        except _RaceLostError:
            session.rollback()
            if expected is not None:
                raise _conflict(doc_id, expected, get_item(session, doc_id).version) from None
        except BaseException:
            session.rollback()
            raise
    raise ConflictError(f"document {doc_id!r} is being changed by others right now", hint=CONFLICT_HINT)


def apply_action(
    session: Session,
    doc_id: str,
    actor: str,
    action: str,
    reason: str | None = None,
    corrections: dict[str, Any] | None = None,
    expected_version: int | None = None,
    places: PlaceDirectory | None = None,
) -> AuditRow:
    """Validate, reject (with a reason), correct fields or reset a detection; audited, then committed.

    Each action applies to the version of the review it read: with ``expected_version`` (the version
    the reviewer saw) a concurrent change answers `ConflictError`; without it, a lost race is retried
    on fresh data. The audit entry's "before" is therefore always the previous entry's "after".
    With ``places`` (the reference data), a QPV or commune correction is checked and its derived fields
    (department, region, QPV and commune records) are stored with it.
    """
    if action not in ACTIONS:
        raise InputError(f"unknown review action {action!r}", hint=f"use one of: {', '.join(ACTIONS)}")

    def attempt(item: Item) -> AuditRow:
        after = _next_state(item, action, reason, corrections, places)
        return _commit_change(session, item, after, actor, action)

    audit = _with_retries(session, doc_id, expected_version, attempt)
    log.info("review action=%s doc_id=%s actor=%s", action, doc_id, actor)
    return audit


def undo(session: Session, audit_id: int, actor: str) -> AuditRow:
    """Restore the state before an audited action; the undo is itself audited."""
    target = session.get(AuditRow, audit_id)
    if target is None or target.doc_id is None or target.before is None:
        raise NotFoundError(f"no undoable audit entry {audit_id}", hint="pick an entry from the history")
    restored = dict(target.before)

    def attempt(item: Item) -> AuditRow:
        return _commit_change(session, item, restored, actor, "undo", undo_of=target.id)

    return _with_retries(session, target.doc_id, None, attempt)


def apply_bulk(
    session: Session, doc_ids: list[str], actor: str, action: str, reason: str | None = None
) -> dict[str, Any]:
    """Apply one action to many detections; one bad item never stops the others."""
    done, failed = [], {}
    for doc_id in dict.fromkeys(doc_ids):
        try:
            apply_action(session, doc_id, actor, action, reason=reason)
            done.append(doc_id)
        except (InputError, NotFoundError, ConflictError) as exc:
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


def detected_values(session: Session, doc_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The detected (uncorrected) values of documents, from their analyses only (no page text)."""
    ids = list(dict.fromkeys(i for i in doc_ids if i))
    if not ids:
        return {}
    out: dict[str, dict[str, Any]] = {}
    for a in session.scalars(select(AnalysisRow).where(AnalysisRow.doc_id.in_(ids))):
        bare = Item(a.doc_id, None, None, None, None, "", 0.0, "pending", None, None, dict(a.result or {}))
        out[a.doc_id] = bare.detected
    return out


@dataclass
class QueuePosition:
    """Where a document sits in the filtered queue: its rank, the total, the previous and next ids."""

    index: int | None  # 1-based; None when the document is not (or no longer) in the selection
    total: int
    previous: str | None
    next: str | None


def queue_position(session: Session, filters: QueueFilters, doc_id: str) -> QueuePosition:
    """The document's neighbours in the filtered, sorted queue (the first 10,000 rows are looked at)."""
    ids = [i.doc_id for i in list_items(session, replace(filters, limit=MAX_LIMIT, offset=0))]
    if doc_id not in ids:
        return QueuePosition(None, len(ids), None, ids[0] if ids else None)
    at = ids.index(doc_id)
    return QueuePosition(
        at + 1, len(ids), ids[at - 1] if at > 0 else None, ids[at + 1] if at + 1 < len(ids) else None
    )


def status_counts(session: Session, filters: QueueFilters) -> dict[str, int]:
    """How many detections of the selection (every status) are pending, validated, rejected."""
    counts = {}
    for status in ("pending", "validated", "rejected"):
        f = replace(filters, status=status, limit=MAX_LIMIT, offset=0)
        if f.commune or f.innovation_type:  # JSON filters run in Python
            counts[status] = len(list_items(session, f))
        else:
            ids = _apply_filters(_base_query().with_only_columns(AnalysisRow.doc_id), f).order_by(None)
            counts[status] = int(session.scalar(select(func.count()).select_from(ids.subquery())) or 0)
    return counts
