"""Place pickers and the review map: QPVs and communes by name, outlines from the reference data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from core.errors import NotFoundError, ReferenceDataError
from search_api.app.contours import ContourStore
from search_api.app.dependencies import Viewer, get_services
from search_api.app.places import MAX_SUGGESTIONS, PlaceDirectory

router = APIRouter(tags=["places"])
PlaceText = Annotated[str, Query(max_length=100, description="Start of a name, or a code.")]
Limit = Annotated[int, Query(ge=1, le=MAX_SUGGESTIONS)]
CodeParam = Annotated[str | None, Query(max_length=12, pattern=r"^[0-9A-Z]*$")]


def get_places(request: Request) -> PlaceDirectory:
    """The reference QPVs and communes, or a clear error when the app has none."""
    places = get_services(request).places
    if places is None:
        raise ReferenceDataError(
            "no reference data in this process", hint="set VIGIE_REFERENCE_DIR (see `vigie reference fetch`)"
        )
    return places


def get_contours(request: Request) -> ContourStore:
    """The outline files of the reference folder, read once per app."""
    store: ContourStore | None = getattr(request.app.state, "contours", None)
    if store is None:
        store = ContourStore(get_services(request).settings.require_reference_dir())
        request.app.state.contours = store
    return store


@router.get("/api/places/communes")
def api_communes(request: Request, user: Viewer, q: PlaceText = "", limit: Limit = 10) -> dict[str, Any]:
    """Communes whose name starts with (then contains) ``q``, or whose INSEE code starts with it."""
    return {"items": get_places(request).suggest_communes(q, limit) if q.strip() else []}


@router.get("/api/places/qpv")
def api_qpvs(
    request: Request, user: Viewer, q: PlaceText = "", commune: CodeParam = None, limit: Limit = 10
) -> dict[str, Any]:
    """QPVs whose code, name or commune matches ``q``; ``commune`` (INSEE code) keeps that commune's."""
    if not q.strip() and not commune:
        return {"items": []}
    return {"items": get_places(request).suggest_qpvs(q, commune or None, limit)}


@router.get("/api/places/carte")
def api_review_map(
    request: Request, user: Viewer, qpv: CodeParam = None, commune: CodeParam = None
) -> dict[str, Any]:
    """What the review map draws: the commune outline (simplified), the QPV and the QPVs around it."""
    codes: list[str] = []
    if commune:
        places = get_services(request).places
        town = places.commune(commune) if places is not None else None
        codes = [commune] + ([town.parent] if town is not None and town.parent else [])
    drawn = get_contours(request).review_map(qpv or None, codes)
    if qpv and drawn["qpv"] is None:
        raise NotFoundError(f"no QPV with code {qpv!r}", hint="QPV codes look like QN00101M")
    return drawn
