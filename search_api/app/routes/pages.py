"""Search and catalogue pages: query box, facets, highlights, similar documents, validated initiatives."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.datastructures import QueryParams

from core.domain import SearchQuery, SearchResult
from core.errors import EngineUnavailableError
from search_api.app import review
from search_api.app.auth import get_current_user
from search_api.app.dependencies import Viewer, get_search_engine, get_services
from search_api.app.geo_outlines import load_outlines
from search_api.app.overview import SHADES, catalogue_points, make_overview, month_bars, shade_of
from search_api.app.place_names import load_place_names
from search_api.app.routes.rendering import redirect, render
from search_api.app.routes.review import parse_queue_filters
from search_api.app.validation import DocIdPath, check_query_text, check_search_filters

log = logging.getLogger(__name__)
router = APIRouter(tags=["pages"])
FACETS: tuple[str, ...] = (
    "innovation_type",
    "in_qpv",
    "review_status",
    "doc_kind",
    "source",
    "region",
    "department",
    "commune",
    "qpv",
)
RANGE_PARAMS: tuple[str, ...] = ("date_from", "date_to", "min_score")
FACET_LABELS = {
    "innovation_type": "Type d'innovation",
    "in_qpv": "En QPV",
    "review_status": "Revue",
    "doc_kind": "Type de document",
    "source": "Source",
    "region": "Région",
    "commune": "Commune",
    "department": "Département",
    "qpv": "QPV",
}


def search_filters(params: QueryParams) -> dict[str, Any]:
    """Engine filters from query parameters (facets are multi-valued), checked: dates, score, sizes."""
    filters: dict[str, Any] = {}
    for name in (*FACET_LABELS, *RANGE_PARAMS):
        values = [v for v in params.getlist(name) if v]
        if values:
            filters[name] = values if name in FACET_LABELS else values[0]
    return check_search_filters(filters)


def run_search(request: Request, query: SearchQuery) -> SearchResult:
    """Search with the configured engine, or say clearly that there is none."""
    engine = get_search_engine(request)
    if engine is None:
        raise EngineUnavailableError(
            "no search engine in this process", hint="start the app with `vigie serve`"
        )
    result: SearchResult = engine.search(query)
    return result


def _reference_dir(request: Request) -> Path | None:
    directory = get_services(request).settings.reference_dir
    return Path(directory) if directory else None


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """The overview (dashboard) for logged-in users, whatever their role; others go to the login form."""
    user = get_current_user(request)
    if user is None:
        return redirect("/connexion")
    places = load_place_names(_reference_dir(request))
    outlines = load_outlines(_reference_dir(request))
    with get_services(request).session_factory() as session:
        figures = make_overview(session, places)
    top = max([d for d, _ in figures.by_department.values()] + [0])
    shades = {code: shade_of(figures.by_department.get(code, (0, 0))[0], top) for code in outlines.paths}
    context = {
        "o": figures,
        "chart": month_bars(figures.months),
        "outlines": outlines,
        "shades": shades,
        "top": top,
        "legend": SHADES,
        "departments": sorted(figures.by_department.items(), key=lambda kv: (-kv[1][0], kv[0]))[:10],
    }
    return render(request, "overview.html", context)


@router.get("/catalogue/carte", response_class=HTMLResponse)
def catalogue_map_page(request: Request, user: Viewer) -> Response:
    """The validated initiatives on a map: points at QPV centroids over the department outlines."""
    places = load_place_names(_reference_dir(request))
    outlines = load_outlines(_reference_dir(request))
    with get_services(request).session_factory() as session:
        items = review.list_items(session, parse_queue_filters({"status": "validated", "limit": 10000}))
    points = catalogue_points(items, places)
    drawn = [p for p in points if outlines.inside(p.lon, p.lat)]
    context = {
        "points": [(p, *outlines.project(p.lon, p.lat)) for p in drawn],
        "elsewhere": [p for p in points if p not in drawn],
        "unplaced": len(items) - len(points),
        "total": len(items),
        "outlines": outlines,
    }
    return render(request, "catalogue_map.html", context)


@router.get("/api/geo/departements")
def department_outlines(request: Request, user: Viewer) -> JSONResponse:
    """The simplified department outlines (GeoJSON), computed once per process and cached by browsers."""
    outlines = load_outlines(_reference_dir(request))
    return JSONResponse(outlines.geojson, headers={"Cache-Control": "private, max-age=86400"})


@router.get("/recherche", response_class=HTMLResponse)
def search_page(request: Request, user: Viewer) -> Response:
    """The search page: query, mode, facets, highlighted hits."""
    params = request.query_params
    filters = search_filters(params)
    mode = params.get("mode") if params.get("mode") in ("hybrid", "keyword", "semantic") else "hybrid"
    raw_page = params.get("page") or "1"
    page = min(max(1, int(raw_page)), 1000) if raw_page.isdigit() and len(raw_page) < 6 else 1
    query = SearchQuery(
        text=check_query_text(params.get("q", "")),
        mode=mode,  # type: ignore[arg-type]  # checked just above
        filters=filters,
        facets=list(FACETS),
        sort="date" if params.get("sort") == "date" else "relevance",
        page=page,
        size=10,
    )
    result = run_search(request, query)
    context = {
        "query": query,
        "result": result,
        "filters": filters,
        "facet_labels": FACET_LABELS,
        "params": list(params.multi_items()),
    }
    return render(request, "search.html", context)


@router.get("/recherche/similaires/{doc_id}", response_class=HTMLResponse)
def similar_page(request: Request, doc_id: DocIdPath, user: Viewer) -> Response:
    """Documents most similar to one document."""
    engine = get_search_engine(request)
    if engine is None:
        raise EngineUnavailableError(
            "no search engine in this process", hint="start the app with `vigie serve`"
        )
    source = engine.get_document(doc_id)
    result = engine.more_like_this(doc_id, size=10)
    return render(request, "similar.html", {"source": source, "result": result})


@router.get("/catalogue", response_class=HTMLResponse)
def catalogue_page(request: Request, user: Viewer) -> Response:
    """The catalogue of validated initiatives, filterable, with export links."""
    params = dict(request.query_params)
    filters = parse_queue_filters({**params, "status": "validated"})
    with get_services(request).session_factory() as session:
        items = review.list_items(session, filters)
    export_params = {k: v for k, v in params.items() if v}
    return render(
        request, "catalogue.html", {"items": items, "filters": params, "export_params": export_params}
    )
