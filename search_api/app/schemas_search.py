"""Response schemas of the search API (`/api/search`, `/api/documents/...`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from core.domain import SearchHit, SearchResult


class SearchHitOut(BaseModel):
    """One ranked document."""

    id: str
    score: float = Field(
        description="BM25 (keyword); semantic, hybrid: normalised fused score plus the signals asked for."
    )
    title: str | None = None
    url: str | None = None
    date: str | None = None
    highlights: list[str] = Field(default_factory=list, description="HTML passages, matches in <mark>.")
    duplicates: int = Field(0, description="Near-duplicates collapsed into this hit.")
    summary: dict[str, Any] = Field(default_factory=dict, description="Analysis summary shown with the hit.")
    why: dict[str, Any] = Field(
        default_factory=dict,
        description="Why the hit is there: words, passage, place, analysis signals that boosted it, and "
        "`semantic_passage` (start, end, cosine, excerpt) when a long page matched beyond its head.",
    )

    @classmethod
    def from_hit(cls, hit: SearchHit) -> SearchHitOut:
        """Build from the engine's hit."""
        src = hit.source
        return cls(
            id=hit.id,
            score=hit.score,
            title=hit.title,
            url=src.get("url"),
            date=src.get("date"),
            highlights=hit.highlights,
            duplicates=hit.duplicates,
            summary=src.get("summary") or {},
            why=hit.why,
        )


class SearchResponse(BaseModel):
    """A page of results with facet counts."""

    query: str
    mode: str
    page: int
    size: int
    total: int = Field(description="Documents matching the filters (and the words, in keyword mode).")
    hits: list[SearchHitOut]
    facets: dict[str, dict[str, int]] = Field(default_factory=dict)

    @classmethod
    def from_result(
        cls, result: SearchResult, *, query: str, mode: str, page: int, size: int
    ) -> SearchResponse:
        """Build from the engine's result."""
        hits = [SearchHitOut.from_hit(h) for h in result.hits]
        return cls(
            query=query, mode=mode, page=page, size=size, total=result.total, hits=hits, facets=result.facets
        )


class DocumentOut(BaseModel):
    """A stored document as indexed."""

    id: str
    title: str | None = None
    url: str | None = None
    date: str | None = None
    text: str = ""
    initiative_score: float = 0.0
    is_initiative: bool = False
    group: str | None = None
    region: list[str] = Field(default_factory=list)
    department: list[str] = Field(default_factory=list)
    commune: list[str] = Field(default_factory=list)
    qpv: list[str] = Field(default_factory=list)
    in_qpv: list[str] = Field(default_factory=list)
    innovation_type: list[str] = Field(default_factory=list)
    doc_kind: list[str] = Field(default_factory=list)
    source: list[str] = Field(default_factory=list)
    review_status: list[str] = Field(default_factory=list)
    summary: dict[str, Any] = Field(default_factory=dict)


class SimilarResponse(BaseModel):
    """Documents most similar to one document."""

    id: str
    hits: list[SearchHitOut]
