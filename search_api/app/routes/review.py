"""Review queue pages and API: validate, reject, correct, bulk, undo, audit trail, QPV contours."""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from core.domain import INNOVATION_TYPES
from core.errors import InputError, NotFoundError, ReferenceDataError
from search_api.app import review
from search_api.app.dependencies import Reviewer, Viewer, get_services
from search_api.app.routes.rendering import redirect, render

log = logging.getLogger(__name__)
router = APIRouter(tags=["review"])
CONTOURS_FILE = "qpv_2024_contours.geojson"


class ActionIn(BaseModel):
    """One review action sent to the API."""

    action: str
    reason: str | None = None
    corrections: dict[str, Any] = Field(default_factory=dict)


class BulkIn(BaseModel):
    """One action applied to listed documents, or to every document matching filters."""

    action: str
    reason: str | None = None
    doc_ids: list[str] = Field(default_factory=list)
    filters: dict[str, Any] | None = None


def parse_queue_filters(
    params: dict[str, Any], default_status: str | None = "pending"
) -> review.QueueFilters:
    """Queue filters from query or form parameters, with clear errors."""

    def _opt(name: str) -> str | None:
        value = params.get(name)
        return str(value).strip() or None if value is not None else None

    try:
        min_score = float(params["min_score"]) if _opt("min_score") else None
        limit = min(int(params.get("limit") or 50), 10000)
        offset = max(int(params.get("offset") or 0), 0)
    except ValueError as exc:
        hint = "min_score is 0..1, limit and offset integers"
        raise InputError(f"bad number in filters: {exc}", hint=hint) from exc
    in_qpv = {"true": True, "false": False}.get(str(params.get("in_qpv") or "").lower())
    status = params.get("status", default_status)
    if status not in (None, "", "pending", "validated", "rejected", "all"):
        raise InputError(f"unknown status {status!r}", hint="use pending, validated, rejected or all")
    return review.QueueFilters(
        status=None if status in ("", "all") else status,
        text=_opt("q"),
        source=_opt("source"),
        commune=_opt("commune"),
        innovation_type=_opt("innovation_type"),
        min_score=min_score,
        in_qpv=in_qpv,
        sort="date" if params.get("sort") == "date" else "score",
        limit=limit,
        offset=offset,
    )


def reindex_documents(request: Request, doc_ids: list[str]) -> None:
    """Push reviewed documents to the search engine; a search failure never undoes a review."""
    services = get_services(request)
    if services.search_engine is None or not doc_ids:
        return
    try:
        from search_api.engines.documents import reindex

        reindex(services.session_factory, services.search_engine, doc_ids)
    except Exception as exc:  # the review is saved; the index catches up at the next `vigie index`
        log.warning("reindex after review failed ids=%d error=%s", len(doc_ids), exc)


def _form_corrections(form: dict[str, Any], types: list[str], current: dict[str, Any]) -> dict[str, Any]:
    """Changed fields of the correction form only."""
    tri = {"true": True, "false": False, "": None}
    submitted: dict[str, Any] = {
        k: (form.get(k) or "").strip() or None for k in ("name", "carrier", "commune", "qpv_code")
    }
    submitted["innovation_types"] = [t for t in types if t in INNOVATION_TYPES]
    if "is_initiative" in form:
        submitted["is_initiative"] = tri.get(str(form["is_initiative"]))
    if "in_qpv" in form:
        submitted["in_qpv"] = tri.get(str(form["in_qpv"]))
    return {k: v for k, v in submitted.items() if v != current.get(k)}


# --- pages ---------------------------------------------------------------------------------------


@router.get("/revue", response_class=HTMLResponse)
def queue_page(request: Request, user: Reviewer) -> Response:
    """The review queue, filterable and sortable, with bulk actions."""
    params = dict(request.query_params)
    filters = parse_queue_filters(params)
    with get_services(request).session_factory() as session:
        items = review.list_items(session, filters)
    return render(request, "review_queue.html", {"items": items, "filters": params})


@router.get("/revue/{doc_id}", response_class=HTMLResponse)
def item_page(request: Request, doc_id: str, user: Reviewer) -> Response:
    """One detection: evidence highlighted, map, types, correction form and history."""
    with get_services(request).session_factory() as session:
        item = review.get_item(session, doc_id)
        entries = review.history(session, doc_id)
    return render(request, "review_item.html", {"item": item, "entries": entries})


@router.post("/revue/{doc_id}/action")
async def item_action(request: Request, doc_id: str, user: Reviewer) -> Response:
    """Validate, reject or correct from the item page."""
    form = await request.form()
    action = str(form.get("action") or "")
    with get_services(request).session_factory() as session:
        corrections = None
        if action == "correct":
            current = review.get_item(session, doc_id).values
            types = [str(t) for t in form.getlist("innovation_types")]
            corrections = _form_corrections(dict(form), types, current)
        review.apply_action(
            session, doc_id, user.username, action, str(form.get("reason") or "") or None, corrections
        )
        item = review.get_item(session, doc_id)
    reindex_documents(request, [doc_id])
    if request.headers.get("hx-request"):  # htmx: answer with the updated queue row only
        return render(request, "_queue_row.html", {"item": item, "index": doc_id})
    target = str(form.get("next") or "")
    return redirect(target if target.startswith("/") and not target.startswith("//") else f"/revue/{doc_id}")


@router.post("/revue-lot")
async def bulk_action(request: Request, user: Reviewer) -> Response:
    """Apply one action to the checked detections, or to the whole filtered selection."""
    form = await request.form()
    ids = [str(i) for i in form.getlist("doc_ids")]
    params = {
        k: v for k, v in form.items() if k not in ("doc_ids", "csrf_token", "action", "reason", "scope")
    }
    with get_services(request).session_factory() as session:
        if form.get("scope") == "filter":
            ids = [i.doc_id for i in review.list_items(session, parse_queue_filters(params))]
        if not ids:
            raise InputError(
                "no detection selected", hint="tick some rows or choose 'toute la sélection filtrée'"
            )
        outcome = review.apply_bulk(
            session, ids, user.username, str(form.get("action")), str(form.get("reason") or "") or None
        )
    reindex_documents(request, outcome["done"])
    return redirect("/revue?" + urlencode({k: str(v) for k, v in params.items() if v}))


@router.post("/audit/{audit_id}/annuler")
async def undo_page(request: Request, audit_id: int, user: Reviewer) -> Response:
    """Undo one audited action from a page."""
    with get_services(request).session_factory() as session:
        entry = review.undo(session, audit_id, user.username)
    reindex_documents(request, [entry.doc_id] if entry.doc_id else [])
    return redirect(f"/revue/{entry.doc_id}")


@router.get("/historique", response_class=HTMLResponse)
def audit_page(request: Request, user: Reviewer) -> Response:
    """The latest audit entries of every document."""
    with get_services(request).session_factory() as session:
        entries = review.history(session, None, limit=200)
    return render(request, "audit.html", {"entries": entries})


# --- API -----------------------------------------------------------------------------------------


def _item_json(item: review.Item) -> dict[str, Any]:
    return {
        "doc_id": item.doc_id,
        "title": item.title,
        "url": item.url,
        "source": item.source,
        "date": item.date,
        "score": item.score,
        "status": item.status,
        "reason": item.reason,
        "values": item.values,
        "corrections": item.corrections,
        "evidence": item.evidence,
        "type_scores": item.analysis.get("type_scores") or {},
    }


def _audit_json(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "actor": entry.actor,
        "action": entry.action,
        "doc_id": entry.doc_id,
        "before": entry.before,
        "after": entry.after,
        "undo_of": entry.undo_of,
        "created_at": entry.created_at.isoformat() if entry.created_at else None,
    }


@router.get("/api/review")
def api_queue(request: Request, user: Reviewer) -> dict[str, Any]:
    """The review queue as JSON (same filters as the page)."""
    filters = parse_queue_filters(dict(request.query_params))
    with get_services(request).session_factory() as session:
        items = review.list_items(session, filters)
    return {"items": [_item_json(i) for i in items]}


@router.get("/api/review/{doc_id}")
def api_item(request: Request, doc_id: str, user: Reviewer) -> dict[str, Any]:
    """One detection with its values after corrections."""
    with get_services(request).session_factory() as session:
        return _item_json(review.get_item(session, doc_id))


@router.post("/api/review/{doc_id}")
def api_action(request: Request, doc_id: str, body: ActionIn, user: Reviewer) -> dict[str, Any]:
    """Validate, reject (reason required), correct or reset one detection."""
    with get_services(request).session_factory() as session:
        entry = review.apply_action(
            session, doc_id, user.username, body.action, body.reason, body.corrections
        )
        result = {"audit": _audit_json(entry), "item": _item_json(review.get_item(session, doc_id))}
    reindex_documents(request, [doc_id])
    return result


@router.post("/api/review-bulk")
def api_bulk(request: Request, body: BulkIn, user: Reviewer) -> dict[str, Any]:
    """One action on many detections; failures are listed, never fatal."""
    with get_services(request).session_factory() as session:
        ids = list(body.doc_ids)
        if body.filters is not None:
            ids += [i.doc_id for i in review.list_items(session, parse_queue_filters(body.filters))]
        outcome = review.apply_bulk(session, ids, user.username, body.action, body.reason)
    reindex_documents(request, outcome["done"])
    return outcome


@router.get("/api/audit")
def api_audit(
    request: Request, user: Reviewer, doc_id: str | None = None, limit: int = Query(100, le=1000)
) -> dict[str, Any]:
    """Audit entries, newest first."""
    with get_services(request).session_factory() as session:
        return {"entries": [_audit_json(e) for e in review.history(session, doc_id, limit)]}


@router.post("/api/audit/{audit_id}/undo")
def api_undo(request: Request, audit_id: int, user: Reviewer) -> dict[str, Any]:
    """Undo an audited action (the undo is audited too)."""
    with get_services(request).session_factory() as session:
        entry = review.undo(session, audit_id, user.username)
    reindex_documents(request, [entry.doc_id] if entry.doc_id else [])
    return {"audit": _audit_json(entry)}


@lru_cache(maxsize=2)
def _load_contours(path: str) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReferenceDataError(
            f"cannot read QPV contours {path}: {exc}", hint="check VIGIE_REFERENCE_DIR"
        ) from exc
    return {f["properties"].get("code_qp"): f for f in data.get("features", [])}


@router.get("/api/qpv/{code}")
def api_qpv_contour(request: Request, code: str, user: Viewer) -> dict[str, Any]:
    """The QPV contour as a GeoJSON feature, for the small map (no external tiles)."""
    ref = get_services(request).settings.require_reference_dir()
    feature = _load_contours(str(ref / CONTOURS_FILE)).get(code)
    if feature is None:
        raise NotFoundError(f"no QPV with code {code!r}", hint="QPV codes look like QN00101M")
    return feature
