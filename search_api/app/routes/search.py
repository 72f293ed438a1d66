"""Search API: `GET /api/search`, `GET /api/documents/{id}`, `GET /api/documents/{id}/similar`."""

from __future__ import annotations

import logging
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from core.domain import SearchQuery
from core.errors import EngineUnavailableError
from search_api.app.dependencies import get_search_engine
from search_api.app.schemas_search import DocumentOut, SearchHitOut, SearchResponse, SimilarResponse
from search_api.engines.base import SearchEngine

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api", tags=["search"])
Values = Annotated[list[str], Query()]


def get_engine(request: Request) -> SearchEngine:
    """The process's search engine, or a clear 503 when there is none."""
    engine: SearchEngine | None = get_search_engine(request)
    if engine is None:
        raise EngineUnavailableError(
            "no search engine in this process", hint="start the app with `vigie serve`"
        )
    return engine


def _split(values: list[str]) -> list[str]:
    """Accept both repeated parameters and comma-separated lists."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@router.get("/search", response_model=SearchResponse, summary="Hybrid French search with filters and facets")
def search(
    request: Request,
    q: Annotated[str, Query(max_length=500, description="Words to look for, in French.")] = "",
    mode: Annotated[Literal["hybrid", "keyword", "semantic"], Query()] = "hybrid",
    region: Values = [],  # noqa: B006  (FastAPI copies defaults)
    department: Values = [],  # noqa: B006
    commune: Values = [],  # noqa: B006
    qpv: Values = [],  # noqa: B006
    in_qpv: Annotated[list[Literal["true", "false", "unknown"]], Query()] = [],  # noqa: B006
    innovation_type: Values = [],  # noqa: B006
    doc_kind: Values = [],  # noqa: B006
    source: Values = [],  # noqa: B006
    review_status: Values = [],  # noqa: B006
    date_from: Annotated[date | None, Query(description="YYYY-MM-DD")] = None,
    date_to: Annotated[date | None, Query(description="YYYY-MM-DD")] = None,
    min_score: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    facets: Values = [],  # noqa: B006
    sort: Annotated[Literal["relevance", "date"], Query()] = "relevance",
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 10,
    collapse: bool = True,
) -> SearchResponse:
    """Ranked documents; facet counts for the fields named in ``facets``."""
    filters: dict[str, Any] = {
        "region": _split(region),
        "department": _split(department),
        "commune": _split(commune),
        "qpv": _split(qpv),
        "in_qpv": list(in_qpv),
        "innovation_type": _split(innovation_type),
        "doc_kind": _split(doc_kind),
        "source": _split(source),
        "review_status": _split(review_status),
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
        "min_score": min_score,
    }
    query = SearchQuery(
        text=q,
        mode=mode,
        filters={k: v for k, v in filters.items() if v not in (None, [])},
        facets=_split(facets),
        sort=sort,
        page=page,
        size=size,
        collapse_duplicates=collapse,
    )
    result = get_engine(request).search(query)
    return SearchResponse.from_result(result, query=q, mode=mode, page=page, size=size)


@router.get("/documents/{doc_id}", response_model=DocumentOut, summary="One indexed document")
def get_document(request: Request, doc_id: str) -> DocumentOut:
    """The document as indexed; 404 when absent."""
    return DocumentOut.model_validate(get_engine(request).get_document(doc_id))


@router.get("/documents/{doc_id}/similar", response_model=SimilarResponse, summary="More like this")
def similar(request: Request, doc_id: str, size: Annotated[int, Query(ge=1, le=50)] = 10) -> SimilarResponse:
    """Documents closest in meaning to ``doc_id`` (itself and its near-duplicates excluded)."""
    result = get_engine(request).more_like_this(doc_id, size=size)
    return SimilarResponse(id=doc_id, hits=[SearchHitOut.from_hit(h) for h in result.hits])
