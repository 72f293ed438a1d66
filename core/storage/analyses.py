"""Analysis repository: which stored pages need analysing, their texts, and the analysis rows written."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.domain import Analysis
from core.storage.tables import AnalysisRow, PageRow


def text_hash(text: str) -> str:
    """Hash of the text an analysis was computed from (to re-analyse changed pages only)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def make_analysis_row(result: Analysis, hashed: str) -> AnalysisRow:
    """The one way an analysis becomes a row: its contract plus the columns the queues filter on."""
    return AnalysisRow(
        doc_id=result.id,
        result=result.to_contract(),
        is_initiative=result.is_initiative,
        initiative_score=result.initiative_score,
        in_qpv=result.in_qpv,
        doc_kind=result.doc_kind,
        model_version=result.model_version,
        text_hash=hashed,
    )


class AnalysisRepository:
    """Reads pages to analyse and upserts their analyses; each write is one transaction."""

    def __init__(self, factory: sessionmaker[Session]) -> None:
        self.factory = factory

    def ids_to_analyse(self, everything: bool) -> list[str]:
        """Ids of stored pages without a current analysis or whose text changed (all with ``everything``).

        Pages built by JavaScript (stored with ``js_rendered`` and no text) are left out: there is nothing to
        judge until a renderer fills them. Texts are streamed and hashed one at a time, so memory holds ids.
        """
        query = (
            select(PageRow.id, PageRow.text, AnalysisRow.text_hash)
            .outerjoin(AnalysisRow, AnalysisRow.doc_id == PageRow.id)
            .where(PageRow.js_rendered.is_(False))
        )
        with self.factory() as session:
            rows = session.execute(query.execution_options(yield_per=500))
            return [r[0] for r in rows if everything or r[2] is None or r[2] != text_hash(r[1] or "")]

    def read_items(self, ids: list[str]) -> list[dict[str, Any]]:
        """Analysis items (id, text, title, url) of the given stored pages, read in one session."""
        with self.factory() as session:
            pages = session.scalars(select(PageRow).where(PageRow.id.in_(ids))).all()
            return [{"id": p.id, "text": p.text or "", "title": p.title, "url": p.url} for p in pages]

    def save(self, analyses: Iterable[tuple[Analysis, str]]) -> None:
        """Upsert (analysis, text hash) pairs in one transaction."""
        rows = [make_analysis_row(result, hashed) for result, hashed in analyses]
        if not rows:
            return
        with self.factory() as session, session.begin():
            for row in rows:
                session.merge(row)

    def save_imported(self, item: dict[str, Any], analysis: Analysis) -> bool:
        """Store an imported line's page (source "import") and its analysis together.

        False when the line has no text and no page of its id is stored (nothing to keep).
        """
        text = item.get("text") or ""
        with self.factory() as session, session.begin():
            page = session.get(PageRow, item["id"])
            if page is None and not text:
                return False
            page = page or PageRow(id=item["id"], source="import")
            page.text = text or page.text or ""
            page.title = item.get("title") or page.title
            page.url = item.get("url") or page.url
            page.date = item.get("date") or page.date
            page.content_hash = hashlib.sha256(page.text.encode()).hexdigest()
            session.add(page)
            session.merge(make_analysis_row(analysis, page.content_hash))
        return True
