"""The in-app document view, for every role: title, dated source, excerpt, places, types, link out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import NotFoundError
from search_api.app import annotation, review
from search_api.app.dependencies import Viewer, get_services
from search_api.app.places import PlaceDirectory, text_mismatch
from search_api.app.routes.rendering import render
from search_api.app.validation import DocIdPath

router = APIRouter(tags=["documents"])


def place_context(places: PlaceDirectory | None, item: review.Item) -> dict[str, Any]:
    """Names for the item's places and whether its QPV lies outside the text's communes."""
    values = item.values
    if places is None:
        return {"qpv_label": values.get("qpv_code"), "text_mismatch": False, "commune_code": None}
    commune_code = None
    for ref in item.corrections.get("communes") or item.analysis.get("communes") or []:
        if isinstance(ref, dict) and ref.get("name") == values.get("commune"):
            commune_code = ref.get("insee")
    return {
        "qpv_label": places.qpv_label(values.get("qpv_code")) if values.get("qpv_code") else None,
        "text_mismatch": text_mismatch(places, values.get("qpv_code"), item.analysis),
        "commune_code": commune_code,
    }


@router.get("/document/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, doc_id: DocIdPath, user: Viewer) -> Response:
    """One stored document read inside Vigie (values after the reviewers' corrections)."""
    with get_services(request).session_factory() as session:
        try:
            item = review.get_item(session, doc_id)
            analysed = True
        except NotFoundError:
            page, _ = annotation.get_document(session, doc_id)
            if page is None:
                raise NotFoundError(
                    f"no document {doc_id!r}", hint="pick one from the search or the catalogue"
                ) from None
            item = review.Item(page.id, page.title, page.url, page.source, page.date, page.text or "",
                               0.0, "pending", None, None, {}, date_source=page.date_source)  # fmt: skip
            analysed = False
    context = {"doc": item, "analysed": analysed, "place": place_context(get_services(request).places, item)}
    return render(request, "document.html", context)
