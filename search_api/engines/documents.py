"""Builds index documents from the system of record (pages, analyses, reviews) and re-indexes them."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.protocols import Embedder
from core.storage.tables import AnalysisRow, PageIdMoveRow, PageRow, ReviewRow
from search_api.engines.base import BulkReport, IndexDocument, SearchEngine
from search_api.engines.passages import MAX_PASSAGES, embed_documents

log = logging.getLogger(__name__)
BATCH = 256
# Review corrections may override these analysis fields (the reviewer has the last word).
CORRECTABLE = (
    "is_initiative",
    "initiative_score",
    "innovation_types",
    "in_qpv",
    "qpv",
    "communes",
    "doc_kind",
    "department_codes",  # derived from a place correction (search_api.app.places)
    "region_codes",
)


def _in_qpv_value(value: Any) -> str:
    return "unknown" if value is None else ("true" if value else "false")


def make_index_document(
    page: PageRow, analysis: dict[str, Any], review: ReviewRow | None = None
) -> IndexDocument:
    """The index document of one page, from its analysis contract dict and current review."""
    result = dict(analysis)
    if review is not None and review.corrections:
        result.update({k: v for k, v in review.corrections.items() if k in CORRECTABLE})
    qpv = [q for q in result.get("qpv") or [] if isinstance(q, dict)]
    communes = [c for c in result.get("communes") or [] if isinstance(c, dict)]
    status = review.status if review is not None else "pending"
    doc_kind = result.get("doc_kind") or page.kind or "other"
    keywords = {
        "region": [str(x) for x in result.get("region_codes") or []],
        "department": [str(x) for x in result.get("department_codes") or []],
        "commune": [str(c.get("insee")) for c in communes if c.get("insee")],
        "qpv": [str(q.get("code")) for q in qpv if q.get("code")],
        "in_qpv": [_in_qpv_value(result.get("in_qpv"))],
        "innovation_type": [str(x) for x in result.get("innovation_types") or []],
        "doc_kind": [str(doc_kind)],
        "source": [page.source] if page.source else [],
        "review_status": [status],
    }
    score = float(result.get("initiative_score") or 0.0)
    is_initiative = bool(result.get("is_initiative"))
    summary: dict[str, Any] = {
        "is_initiative": is_initiative,
        "initiative_score": score,
        "innovation_types": keywords["innovation_type"],
        "type_scores": {str(k): float(v) for k, v in (result.get("type_scores") or {}).items()},
        "in_qpv": result.get("in_qpv"),
        "qpv": qpv,
        "communes": communes,
        "places_abroad": [a for a in result.get("places_abroad") or [] if isinstance(a, dict)],
        "doc_kind": doc_kind,
        "initiatives": [
            {"name": i.get("name"), "carrier": i.get("carrier"), "commune": i.get("commune")}
            for i in result.get("initiatives") or []
            if isinstance(i, dict)
        ],
        "review_status": status,
        "source": page.source,
        "model_version": result.get("model_version"),
        "title_source": page.title_source,
        "date_source": page.date_source,
    }
    return IndexDocument(
        id=page.id,
        text=page.text or "",
        title=page.title,
        url=page.url,
        date=page.date,
        keywords=keywords,
        initiative_score=score,
        is_initiative=is_initiative,
        group=page.duplicate_of,
        summary=summary,
    )


def iter_rows(
    session_factory: sessionmaker[Session], ids: Sequence[str] | None = None, batch: int = BATCH
) -> Iterator[list[tuple[PageRow, AnalysisRow, ReviewRow | None]]]:
    """Batches of (page, analysis, review) for analysed pages, all of them or the given ids."""
    with session_factory() as session:
        stmt = select(AnalysisRow.doc_id).order_by(AnalysisRow.doc_id)
        if ids is not None:
            stmt = stmt.where(AnalysisRow.doc_id.in_(list(ids)))
        doc_ids = list(session.scalars(stmt))
    for start in range(0, len(doc_ids), batch):
        chunk = doc_ids[start : start + batch]
        with session_factory() as session:
            pages = {p.id: p for p in session.scalars(select(PageRow).where(PageRow.id.in_(chunk)))}
            analyses = {
                a.doc_id: a for a in session.scalars(select(AnalysisRow).where(AnalysisRow.doc_id.in_(chunk)))
            }
            reviews = {
                r.doc_id: r for r in session.scalars(select(ReviewRow).where(ReviewRow.doc_id.in_(chunk)))
            }
        yield [(pages[i], analyses[i], reviews.get(i)) for i in chunk if i in pages]


def engine_max_passages(engine: SearchEngine) -> int:
    """The engine's cap on passage vectors per long document (`RankingEngine.max_passages`)."""
    return int(getattr(engine, "max_passages", MAX_PASSAGES))


def iter_documents(
    session_factory: sessionmaker[Session],
    embedder: Embedder | None,
    ids: Sequence[str] | None = None,
    max_passages: int = MAX_PASSAGES,
) -> Iterator[list[IndexDocument]]:
    """Batches of index documents with vectors (when an embedder is given; long documents get at most
    ``max_passages`` passage vectors, `passages.embed_documents`)."""
    for rows in iter_rows(session_factory, ids):
        docs = [make_index_document(page, analysis.result or {}, review) for page, analysis, review in rows]
        if embedder is not None and docs:
            embed_documents(embedder, docs, max_passages)
        yield docs


def reindex(
    session_factory: sessionmaker[Session], engine: SearchEngine, ids: Sequence[str] | None = None
) -> BulkReport:
    """Re-index analysed pages (all, or ``ids`` after review actions); ids no longer analysed are removed.

    Vectors come from the engine's own embedder (cached by content hash when wired by `vigie`).
    """
    embedder: Embedder | None = getattr(engine, "embedder", None)
    report = BulkReport()
    seen: set[str] = set()
    for docs in iter_documents(session_factory, embedder, ids, engine_max_passages(engine)):
        seen.update(d.id for d in docs)
        report.merge(engine.index_documents(docs))
    if ids is not None:
        gone = [i for i in ids if i not in seen]
        if gone:
            engine.delete_documents(gone)
    log.info("reindex indexed=%d rejected=%d", report.indexed, len(report.errors))
    return report


def rebuild_index(session_factory: sessionmaker[Session], engine: SearchEngine) -> BulkReport:
    """Rebuild the whole index from the system of record and switch to it atomically."""
    embedder: Embedder | None = getattr(engine, "embedder", None)
    docs = iter_documents(session_factory, embedder, max_passages=engine_max_passages(engine))
    return engine.rebuild(doc for batch in docs for doc in batch)


def drop_moved_ids(session_factory: sessionmaker[Session], engine: SearchEngine) -> int:
    """Remove from the index the old ids of pages re-keyed by migration 0008 (once each); return how many.

    Their pages are indexed under the new ids by the same `vigie index` run (their analyses were stamped
    as new by the migration).
    """
    with session_factory() as session:
        pending = select(PageIdMoveRow.old_id).where(PageIdMoveRow.unindexed_at.is_(None))
        old_ids = list(session.scalars(pending))
    removed = 0
    for start in range(0, len(old_ids), BATCH):
        chunk = old_ids[start : start + BATCH]
        removed += engine.delete_documents(chunk)
        with session_factory() as session, session.begin():
            done = update(PageIdMoveRow).where(PageIdMoveRow.old_id.in_(chunk))
            session.execute(done.values(unindexed_at=datetime.now(UTC)))
    if old_ids:
        log.info("moved page ids removed from the index old_ids=%d removed=%d", len(old_ids), removed)
    return removed
