"""Review queue pages and API: validate, reject, correct, bulk, undo, audit trail, QPV contours."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from core.domain import INNOVATION_TYPES
from core.errors import InputError, NotFoundError
from search_api.app import review
from search_api.app.contours import QPV_CONTOURS, ContourStore
from search_api.app.dependencies import Reviewer, Viewer, get_services
from search_api.app.places import QPV_CODE, PlaceDirectory
from search_api.app.routes import documents as documents_routes
from search_api.app.routes import places as places_routes
from search_api.app.routes.documents import place_context
from search_api.app.routes.rendering import redirect, render
from search_api.app.routes.review_history import history_changes
from search_api.app.validation import (
    MAX_BULK_IDS,
    MAX_INT64,
    MAX_REASON_CHARS,
    DocId,
    DocIdPath,
    Reason,
    RowIdPath,
    parse_queue_params,
)

log = logging.getLogger(__name__)
router = APIRouter(tags=["review"])
CONTOURS_FILE = QPV_CONTOURS  # read by the GeoJSON export
router.include_router(places_routes.router)
router.include_router(documents_routes.router)


Action = Literal["validate", "reject", "correct", "reset"]


class ActionIn(BaseModel):
    """One review action sent to the API; ``version`` (from the item) makes it fail with 409 if stale."""

    action: Action
    reason: Reason | None = None
    corrections: dict[str, Any] = Field(default_factory=dict)
    version: Annotated[int, Field(ge=0, le=MAX_INT64)] | None = None


class BulkIn(BaseModel):
    """One action applied to listed documents, or to every document matching filters."""

    action: Action
    reason: Reason | None = None
    doc_ids: Annotated[list[DocId], Field(max_length=MAX_BULK_IDS)] = Field(default_factory=list)
    filters: dict[str, Any] | None = None


def parse_queue_filters(
    params: dict[str, Any], default_status: str | None = "pending"
) -> review.QueueFilters:
    """Queue filters from query or form parameters, bounded and typed (`validation.QueueParams`)."""
    p = parse_queue_params(params)
    status = p.status if "status" in params else default_status
    return review.QueueFilters(
        status=None if status in ("", "all") else status,
        text=p.q or None,
        source=p.source or None,
        commune=p.commune or None,
        innovation_type=p.innovation_type or None,
        min_score=p.min_score,
        in_qpv={"true": True, "false": False}.get((p.in_qpv or "").lower()),
        sort="date" if p.sort == "date" else "score",
        limit=p.limit,
        offset=p.offset,
    )


def parse_version(value: Any) -> int | None:
    """The review version a form was rendered with (None when the form has none)."""
    text = str(value or "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise InputError(f"bad version {text[:20]!r}", hint="reload the page and submit the form again")
    return int(text)


def reindex_documents(request: Request, doc_ids: list[str]) -> None:
    """Index what review actions queued in the outbox; a search failure never undoes a review."""
    if doc_ids:
        request.app.state.drainer.drain_now()


FLASH_KEYS = ("ok", "n", "echecs")
FLASH_MESSAGES = {
    "validate": "Détection validée.",
    "reject": "Détection rejetée.",
    "correct": "Correction enregistrée.",
    "reset": "Détection remise en attente.",
    "undo": "Action annulée.",
}


def flash_message(params: Any) -> str | None:
    """The French confirmation an action's redirect asked for (``?ok=validate``, ``&n=3&echecs=1``)."""
    ok = str(params.get("ok") or "")
    if ok == "bulk":
        done, failed = str(params.get("n") or "0"), str(params.get("echecs") or "0")
        if not (done.isdigit() and failed.isdigit()):
            return None
        text = f"Action groupée : {done} détection(s) traitée(s)"
        return text + (f", {failed} en échec (déjà modifiées ou introuvables)." if failed != "0" else ".")
    return FLASH_MESSAGES.get(ok)


def queue_query(params: Any) -> str:
    """The queue's filters as a query string (flash keys left out), carried from page to page."""
    keep = {k: str(v) for k, v in params.items() if v not in (None, "") and k not in FLASH_KEYS}
    keep.pop("csrf_token", None)
    return urlencode(keep)


def with_flash(url: str, ok: str, **extra: int) -> str:
    """A redirect target carrying a flash message."""
    sep = "&" if "?" in url else "?"
    return url + sep + urlencode({"ok": ok, **{k: str(v) for k, v in extra.items()}})


def _form_place_text(form: dict[str, Any], places: PlaceDirectory | None) -> dict[str, Any]:
    """The QPV and commune fields as the pickers send them ("QN03405M — Mosson (Montpellier)")."""
    out: dict[str, Any] = {}
    qpv_text = str(form.get("qpv_code") or "").strip()
    if qpv_text:
        found = QPV_CODE.search(qpv_text.upper())
        out["qpv_code"] = (
            found.group(1) if found else (places.resolve_qpv(qpv_text).code if places else qpv_text)
        )
    else:
        out["qpv_code"] = None
    commune = str(form.get("commune") or "").strip()
    out["commune"] = commune or None
    return out


def _form_corrections(
    form: dict[str, Any], types: list[str], current: dict[str, Any], places: PlaceDirectory | None = None
) -> dict[str, Any]:
    """Changed fields of the correction form only."""
    tri = {"true": True, "false": False, "": None}
    submitted: dict[str, Any] = {k: (form.get(k) or "").strip() or None for k in ("name", "carrier")}
    submitted.update(_form_place_text(form, places))
    if submitted["commune"] and submitted["commune"] != current.get("commune") and places is not None:
        picked = places.resolve_commune(submitted["commune"])  # a picker label names its code
        submitted["commune"] = picked.name if picked.name == current.get("commune") else submitted["commune"]
    submitted["innovation_types"] = [t for t in types if t in INNOVATION_TYPES]
    if "is_initiative" in form:
        submitted["is_initiative"] = tri.get(str(form["is_initiative"]))
    if "in_qpv" in form:
        submitted["in_qpv"] = tri.get(str(form["in_qpv"]))
    submitted["place_mismatch_assumed"] = form.get("place_mismatch_assumed") == "true"
    changed = {k: v for k, v in submitted.items() if v != current.get(k)}
    if changed.get("place_mismatch_assumed") is False and not current.get("place_mismatch_assumed"):
        changed.pop("place_mismatch_assumed")
    return changed


# --- pages ---------------------------------------------------------------------------------------


@router.get("/revue", response_class=HTMLResponse)
def queue_page(request: Request, user: Reviewer) -> Response:
    """The review queue, filterable and sortable, with counts, progress and bulk actions."""
    params = {k: v for k, v in request.query_params.items() if k not in FLASH_KEYS}
    filters = parse_queue_filters(params)
    places = get_services(request).places
    with get_services(request).session_factory() as session:
        items = review.list_items(session, filters)
        counts = review.status_counts(session, filters)
    context = {
        "items": items,
        "filters": params,
        "qs": queue_query(params),
        "counts": counts,
        "flash": flash_message(request.query_params),
        "places": {i.doc_id: place_context(places, i) for i in items},
    }
    return render(request, "review_queue.html", context)


def _item_context(
    request: Request, session: Any, item: review.Item, params: dict[str, Any]
) -> dict[str, Any]:
    places = get_services(request).places
    filters = parse_queue_filters(params)
    entries = review.history(session, item.doc_id)
    detected = {item.doc_id: item.detected}
    return {
        "item": item,
        "entries": entries,
        "history_changes": history_changes(entries, detected, places),
        "position": review.queue_position(session, filters, item.doc_id),
        "counts": review.status_counts(session, filters),
        "qs": queue_query(params),
        "place": place_context(places, item),
        "flash": flash_message(request.query_params),
        "form_error": None,
        "form_values": None,
    }


@router.get("/revue/{doc_id}", response_class=HTMLResponse)
def item_page(request: Request, doc_id: DocIdPath, user: Reviewer) -> Response:
    """One detection: evidence highlighted, map, types, correction form, history, previous/next."""
    params = {k: v for k, v in request.query_params.items() if k not in FLASH_KEYS}
    with get_services(request).session_factory() as session:
        item = review.get_item(session, doc_id)
        context = _item_context(request, session, item, params)
    return render(request, "review_item.html", context)


@router.post("/revue/{doc_id}/action")
async def item_action(request: Request, doc_id: DocIdPath, user: Reviewer) -> Response:
    """Validate, reject or correct from the item page; back to the item with a confirmation."""
    form = await request.form()
    action = str(form.get("action") or "")
    expected = parse_version(form.get("version"))
    qs = str(form.get("qs") or "")[:2000]
    queue_params = dict(parse_qsl(qs))
    places = get_services(request).places
    with get_services(request).session_factory() as session:
        corrections = None
        try:
            if action == "correct":
                current = review.get_item(session, doc_id).values
                types = [str(t) for t in form.getlist("innovation_types")]
                corrections = _form_corrections(dict(form), types, current, places)
            review.apply_action(
                session,
                doc_id,
                user.username,
                action,
                str(form.get("reason") or "")[:MAX_REASON_CHARS] or None,
                corrections,
                expected,
                places,
            )
        except InputError as exc:
            if action != "correct" or request.headers.get("hx-request"):
                raise
            session.rollback()  # the correction form again, with what was typed and what is wrong
            item = review.get_item(session, doc_id)
            context = _item_context(request, session, item, queue_params)
            context.update(form_error=exc, form_values=dict(form))
            return render(request, "review_item.html", context, status_code=422)
        item = review.get_item(session, doc_id)
    reindex_documents(request, [doc_id])
    if request.headers.get("hx-request"):  # htmx: answer with the updated queue row only
        row = {"item": item, "index": doc_id, "qs": qs, "place": place_context(places, item)}
        return render(request, "_queue_row.html", row)
    target = str(form.get("next") or "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(with_flash(target, action))
    return redirect(with_flash(f"/revue/{doc_id}" + (f"?{qs}" if qs else ""), action))


@router.post("/revue-lot")
async def bulk_action(request: Request, user: Reviewer) -> Response:
    """Apply one action to the checked detections, or to the whole filtered selection."""
    form = await request.form()
    ids = [str(i) for i in form.getlist("doc_ids")]
    params = {
        k: v
        for k, v in form.items()
        if k not in ("doc_ids", "csrf_token", "action", "reason", "scope", "select_all")
        and k not in FLASH_KEYS
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
    query = urlencode({k: str(v) for k, v in params.items() if v})
    return redirect(with_flash("/revue" + (f"?{query}" if query else ""), "bulk",
                               n=len(outcome["done"]), echecs=len(outcome["failed"])))  # fmt: skip


@router.post("/audit/{audit_id}/annuler")
async def undo_page(request: Request, audit_id: RowIdPath, user: Reviewer) -> Response:
    """Undo one audited action from a page."""
    with get_services(request).session_factory() as session:
        entry = review.undo(session, audit_id, user.username)
    reindex_documents(request, [entry.doc_id] if entry.doc_id else [])
    return redirect(with_flash(f"/revue/{entry.doc_id}", "undo"))


@router.get("/historique", response_class=HTMLResponse)
def audit_page(request: Request, user: Reviewer) -> Response:
    """The latest audit entries of every document."""
    with get_services(request).session_factory() as session:
        entries = review.history(session, None, limit=200)
        detected = review.detected_values(session, [e.doc_id for e in entries if e.doc_id])
    changes = history_changes(entries, detected, get_services(request).places)
    return render(request, "audit.html", {"entries": entries, "history_changes": changes})


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
        "version": item.version,
        "evidence": item.evidence,
        "type_scores": item.analysis.get("type_scores") or {},
        "detected": item.detected,
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
def api_item(request: Request, doc_id: DocIdPath, user: Reviewer) -> dict[str, Any]:
    """One detection with its values after corrections."""
    with get_services(request).session_factory() as session:
        return _item_json(review.get_item(session, doc_id))


@router.post("/api/review/{doc_id}")
def api_action(request: Request, doc_id: DocIdPath, body: ActionIn, user: Reviewer) -> dict[str, Any]:
    """Validate, reject (reason required), correct or reset one detection."""
    with get_services(request).session_factory() as session:
        entry = review.apply_action(
            session,
            doc_id,
            user.username,
            body.action,
            body.reason,
            body.corrections,
            body.version,
            get_services(request).places,
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
    request: Request,
    user: Reviewer,
    doc_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Audit entries, newest first."""
    with get_services(request).session_factory() as session:
        return {"entries": [_audit_json(e) for e in review.history(session, doc_id, limit)]}


@router.post("/api/audit/{audit_id}/undo")
def api_undo(request: Request, audit_id: RowIdPath, user: Reviewer) -> dict[str, Any]:
    """Undo an audited action (the undo is audited too)."""
    with get_services(request).session_factory() as session:
        entry = review.undo(session, audit_id, user.username)
    reindex_documents(request, [entry.doc_id] if entry.doc_id else [])
    return {"audit": _audit_json(entry)}


@lru_cache(maxsize=2)
def _load_contours(path: str) -> dict[str, dict[str, Any]]:
    """QPV outlines by code (the GeoJSON export reads them here; the map goes through `ContourStore`)."""
    features = ContourStore(Path(path).parent).read(Path(path).name)
    return {str(f["properties"].get("code_qp")): f for f in features}


@router.get("/api/qpv/{code}")
def api_qpv_contour(request: Request, code: str, user: Viewer) -> dict[str, Any]:
    """The QPV contour as a GeoJSON feature, for the small map (no external tiles)."""
    feature = places_routes.get_contours(request).qpv(code)
    if feature is None:
        raise NotFoundError(f"no QPV with code {code!r}", hint="QPV codes look like QN00101M")
    return feature
