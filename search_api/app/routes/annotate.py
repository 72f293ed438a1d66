"""Annotation pages and API: the active-learning queue, labelling, agreement, adjudication."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from search_api.app import annotation
from search_api.app.dependencies import Annotator, Reviewer, get_services
from search_api.app.routes.rendering import redirect, render
from search_api.app.validation import DocId, DocIdPath

router = APIRouter(tags=["annotation"])


class InitiativeLabelsIn(BaseModel):
    """The labels of a further initiative the text describes (a laureates list names several)."""

    name: Annotated[str, StringConstraints(max_length=annotation.MAX_NAME_CHARS)] | None = None
    in_qpv: bool | None = None
    innovation_types: list[str] = Field(default_factory=list)
    communes: list[str] = Field(default_factory=list)


class LabelsIn(BaseModel):
    """One label set: initiative yes/no, in QPV, innovation types, place."""

    is_initiative: bool
    in_qpv: bool | None = None
    innovation_types: list[str] = Field(default_factory=list)
    communes: list[str] = Field(default_factory=list)
    doc_kind: str | None = None
    qpv_mentions: list[str] = Field(default_factory=list)
    initiatives: list[InitiativeLabelsIn] = Field(
        default_factory=list, max_length=annotation.MAX_EXTRA_INITIATIVES, description="Further initiatives."
    )


class AnnotationIn(LabelsIn):
    """Labels for a named document."""

    doc_id: DocId


EXTRA_SETS = (2, 3, 4)  # label sets offered on the page for the 2nd, 3rd and 4th initiative


def _extra_sets_from_form(form: Any) -> list[dict[str, Any]]:
    """The further initiatives' label sets (``ini2_name``, ``ini2_types``...); blank ones are left out."""
    tri = {"true": True, "false": False}
    sets = []
    for n in EXTRA_SETS:
        name = str(form.get(f"ini{n}_name") or "").strip()
        types = [str(t) for t in form.getlist(f"ini{n}_types")]
        communes = str(form.get(f"ini{n}_communes") or "")
        if name or types or communes.strip():
            in_qpv = tri.get(str(form.get(f"ini{n}_in_qpv") or ""))
            sets.append(
                {"name": name or None, "innovation_types": types, "in_qpv": in_qpv, "communes": communes}
            )
    return sets


def _labels_from_form(form: Any) -> dict[str, Any]:
    tri = {"true": True, "false": False}
    return {
        "is_initiative": tri.get(str(form.get("is_initiative"))),
        "in_qpv": tri.get(str(form.get("in_qpv") or "")),
        "innovation_types": [str(t) for t in form.getlist("innovation_types")],
        "communes": str(form.get("communes") or ""),
        "doc_kind": str(form.get("doc_kind") or "") or None,
        "initiatives": _extra_sets_from_form(form),
    }


@router.get("/annotation", response_class=HTMLResponse)
def queue_page(request: Request, user: Annotator) -> Response:
    """The annotator's next documents, most uncertain first (diversity-guarded)."""
    with get_services(request).session_factory() as session:
        queue = annotation.select_queue(session, user.username, size=20)
        progress = annotation.progress(session, user.username)
    return render(request, "annotation_queue.html", {"queue": queue, "progress": progress})


@router.get("/annotation/suivant")
def next_item(
    request: Request, user: Annotator, passer: Annotated[str | None, Query(max_length=64)] = None
) -> Response:
    """Jump to the next document of the queue (``passer``: the one skipped), or back to the queue."""
    with get_services(request).session_factory() as session:
        queue = [c for c in annotation.select_queue(session, user.username, size=2) if c.doc_id != passer]
    return redirect(f"/annotation/{queue[0].doc_id}" if queue else "/annotation")


@router.get("/annotation/{doc_id}", response_class=HTMLResponse)
def label_page(request: Request, doc_id: DocIdPath, user: Annotator) -> Response:
    """The keyboard labelling screen for one document."""
    with get_services(request).session_factory() as session:
        page, analysis = annotation.get_document(session, doc_id)
        mine = [a for a in annotation.annotations_of(session, doc_id) if a.annotator == user.username]
        progress = annotation.progress(session, user.username)
    if page is None:
        from core.errors import NotFoundError

        raise NotFoundError(f"no document {doc_id!r}", hint="pick one from the annotation queue")
    context = {
        "page": page,
        "analysis": analysis.result if analysis else {},
        "mine": mine[0].labels if mine else None,
        "progress": progress,
        "type_definitions": annotation.TYPE_DEFINITIONS,
        "extra_sets": EXTRA_SETS,
    }
    return render(request, "annotation_item.html", context)


@router.post("/annotation/{doc_id}")
async def label_submit(request: Request, doc_id: DocIdPath, user: Annotator) -> Response:
    """Save the labels and go to the next document."""
    form = await request.form()
    with get_services(request).session_factory() as session:
        annotation.save_annotation(session, doc_id, user.username, _labels_from_form(form))
    return redirect("/annotation/suivant")


@router.get("/accord", response_class=HTMLResponse)
def agreement_page(request: Request, user: Annotator) -> Response:
    """Agreement figures (Fleiss, Cohen) and the disagreements left to adjudicate."""
    with get_services(request).session_factory() as session:
        report = annotation.agreement_report(session)
        disputes = annotation.disagreements(session)
    return render(request, "agreement.html", {"report": report, "disputes": disputes})


@router.get("/accord/{doc_id}", response_class=HTMLResponse)
def adjudication_page(request: Request, doc_id: DocIdPath, user: Reviewer) -> Response:
    """Every annotator's labels side by side, and the adjudication form."""
    with get_services(request).session_factory() as session:
        rows = annotation.annotations_of(session, doc_id)
        page, _ = annotation.get_document(session, doc_id)
    context = {"rows": rows, "page": page, "doc_id": doc_id, "extra_sets": EXTRA_SETS}
    return render(request, "adjudicate.html", context)


@router.post("/accord/{doc_id}")
async def adjudication_submit(request: Request, doc_id: DocIdPath, user: Reviewer) -> Response:
    """Record the final labels of a disputed document."""
    form = await request.form()
    with get_services(request).session_factory() as session:
        annotation.adjudicate(session, doc_id, user.username, _labels_from_form(form))
    return redirect("/accord")


# --- API -----------------------------------------------------------------------------------------


@router.get("/api/annotation/queue")
def api_queue(
    request: Request, user: Annotator, size: Annotated[int, Query(ge=1, le=200)] = 20
) -> dict[str, Any]:
    """The caller's next documents with their uncertainty."""
    with get_services(request).session_factory() as session:
        queue = annotation.select_queue(session, user.username, size=min(size, 200))
    return {"items": [{"doc_id": c.doc_id, "title": c.title, "uncertainty": c.uncertainty} for c in queue]}


@router.post("/api/annotations")
def api_annotate(request: Request, body: AnnotationIn, user: Annotator) -> dict[str, Any]:
    """Store the caller's labels for a document (``initiatives``: further initiatives of the text)."""
    labels = body.model_dump(exclude={"doc_id"})
    with get_services(request).session_factory() as session:
        row = annotation.save_annotation(session, body.doc_id, user.username, labels)
    return {"id": row.id, "doc_id": row.doc_id, "annotator": row.annotator, "labels": row.labels}


@router.get("/api/annotation/agreement")
def api_agreement(request: Request, user: Annotator) -> dict[str, Any]:
    """Fleiss' and Cohen's kappa, and open disagreements."""
    with get_services(request).session_factory() as session:
        return {**annotation.agreement_report(session), "disagreements": annotation.disagreements(session)}


@router.post("/api/annotation/{doc_id}/adjudicate")
def api_adjudicate(request: Request, doc_id: DocIdPath, body: LabelsIn, user: Reviewer) -> dict[str, Any]:
    """Settle a disagreement with final labels."""
    with get_services(request).session_factory() as session:
        row = annotation.adjudicate(session, doc_id, user.username, body.model_dump())
    return {"doc_id": doc_id, "labels": row.labels}
