"""Migration 0009 (page ids from the new canonical URLs), checked the same way on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import select, text

from core.ids import make_page_id
from core.storage import make_engine, make_session_factory, migrate
from core.storage.tables import AnalysisRow, AnnotationRow, AuditRow, PageIdMoveRow, PageRow, ReviewRow


def _old_id(url: str) -> str:
    """The id the pre-0009 rule gave: it kept mtm_/pk_/msclkid/igshid in the URL."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()[:16]


def check_page_id_migration(url: str) -> None:
    """Store pages under the old rule's ids at revision 0008, migrate to head, check what became of them."""
    migrate(url, "0008_page_sources")
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clean = "https://ville.example.fr/actu/jardin"
    plain, matomo, piwik = clean, f"{clean}?mtm_campaign=lettre", f"{clean}?pk_kwd=x&igshid=y"
    moved_alone = "https://asso.example.fr/projet?msclkid=abc"
    dup_of_import = "https://import.example/a?utm_source=x"
    early, late = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)
    with factory() as session, session.begin():
        session.add_all(
            [
                PageRow(id=_old_id(plain), canonical_url=plain, url=plain, text="v1", fetched_at=early),
                PageRow(id=_old_id(matomo), canonical_url=matomo, url=matomo, text="v2", fetched_at=late),
                PageRow(id=_old_id(piwik), canonical_url=piwik, url=piwik, text="v3", fetched_at=late),
                PageRow(id=_old_id(moved_alone), canonical_url=moved_alone, text="seul"),
                PageRow(id="import-1", canonical_url="https://import.example/a", text="importée"),
                PageRow(id=_old_id(dup_of_import), canonical_url=dup_of_import, text="même"),
                PageRow(id="copy", canonical_url="https://autre.example/c", duplicate_of=_old_id(matomo)),
                AnalysisRow(
                    doc_id=_old_id(plain), result={"id": _old_id(plain)}, is_initiative=True,
                    initiative_score=0.9, doc_kind="press",
                ),
                AnalysisRow(
                    doc_id=_old_id(moved_alone), result={"id": _old_id(moved_alone)}, is_initiative=False,
                    initiative_score=0.1, doc_kind="other", analysed_at=early,
                ),
                AnnotationRow(doc_id=_old_id(piwik), annotator="ana", labels={"is_initiative": True}),
                AuditRow(actor="ana", action="review", doc_id=_old_id(matomo)),
            ]
        )  # fmt: skip
        # Reviews as revision 0008 stores them (the ORM row has columns of later revisions).
        session.execute(
            text(
                "INSERT INTO reviews (doc_id, status, reason, corrections, reviewer, updated_at)"
                " VALUES (:doc_id, :status, NULL, '{}', :reviewer, :at)"
            ),
            [
                {"doc_id": _old_id(plain), "status": "pending", "reviewer": None, "at": early},
                {"doc_id": _old_id(matomo), "status": "validated", "reviewer": "ana", "at": early},
            ],
        )
    engine.dispose()

    migrate(url)

    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        pages = {p.id: p for p in session.scalars(select(PageRow))}
        analyses = {a.doc_id: a for a in session.scalars(select(AnalysisRow))}
        reviews = {r.doc_id: r for r in session.scalars(select(ReviewRow))}
        moves = {m.old_id: m for m in session.scalars(select(PageIdMoveRow))}
        annotations = list(session.scalars(select(AnnotationRow)))
        audit = list(session.scalars(select(AuditRow)))
    engine.dispose()
    new_id = make_page_id(clean)
    alone_id = make_page_id("https://asso.example.fr/projet")
    # Three tracker variants are one page now; the id already right keeps its row, the others merge in.
    assert new_id == _old_id(plain)
    assert set(pages) == {new_id, alone_id, "import-1", "copy"}
    assert pages[new_id].text == "v1" and pages[new_id].canonical_url == clean
    assert (pages[alone_id].canonical_url, pages[alone_id].text) == ("https://asso.example.fr/projet", "seul")
    # A page stored under an id of its own keeps it; a crawled copy of its URL with a tracker merges in.
    assert pages["import-1"].text == "importée"
    assert moves[_old_id(dup_of_import)].new_id == "import-1"
    assert pages["copy"].duplicate_of == new_id
    # Nothing lost: the validated review wins over the pending one, annotations and audit follow the page,
    # the merged pages' texts and the pending review are kept in page_id_moves.
    assert reviews[new_id].status == "validated" and reviews[new_id].reviewer == "ana"
    assert [a.doc_id for a in annotations] == [new_id] and [a.doc_id for a in audit] == [new_id]
    assert set(moves) == {_old_id(matomo), _old_id(piwik), _old_id(moved_alone), _old_id(dup_of_import)}
    assert {m.new_id for m in moves.values()} == {new_id, alone_id, "import-1"}
    merged_texts = {moves[_old_id(m)].merged["page"]["text"] for m in (matomo, piwik)}  # type: ignore[index]
    assert merged_texts == {"v2", "v3"}
    assert moves[_old_id(matomo)].merged["review"]["status"] == "pending"  # type: ignore[index]
    assert analyses[alone_id].result["id"] == alone_id
    assert analyses[alone_id].analysed_at.replace(tzinfo=UTC) > early  # the next `vigie index` picks it up
    assert all(m.unindexed_at is None for m in moves.values())
