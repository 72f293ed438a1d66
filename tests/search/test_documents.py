"""Index documents built from the system of record, re-indexing after reviews, the embedding cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.domain import SearchQuery
from core.settings import Settings
from core.storage.tables import AnalysisRow, PageIdMoveRow, PageRow, ReviewRow
from search_api.engines.documents import drop_moved_ids, rebuild_index, reindex
from search_api.engines.embedded import EmbeddedEngine
from search_api.engines.embedding_cache import CachedEmbedder
from tests.support.cli import run_vigie


def _add_page(
    session: Session, doc_id: str, text: str, types: list[str], duplicate_of: str | None = None
) -> None:
    session.add(
        PageRow(id=doc_id, title=f"Titre {doc_id}", text=text, source="demo", duplicate_of=duplicate_of)
    )
    result = {
        "id": doc_id, "is_initiative": True, "initiative_score": 0.8, "innovation_types": types,
        "type_scores": {}, "in_qpv": True, "qpv": [{"code": "QN01301M", "name": "La Castellane",
        "commune": "Marseille", "insee": "13055"}], "communes": [{"insee": "13055", "name": "Marseille"}],
        "doc_kind": "press", "initiatives": [{"name": "Fablab", "carrier": "Les Bricoleurs",
        "commune": "Marseille", "qpv_code": "QN01301M", "evidence": []}], "department_codes": ["13"],
        "region_codes": ["93"],
    }  # fmt: skip
    session.add(
        AnalysisRow(
            doc_id=doc_id,
            result=result,
            is_initiative=True,
            initiative_score=0.8,
            in_qpv=True,
            doc_kind="press",
        )
    )


def test_reindex_follows_reviews_and_removals(
    settings: Settings, db: tuple[Engine, sessionmaker[Session]], embedder: CachedEmbedder
) -> None:
    factory = db[1]
    with factory() as session:
        _add_page(session, "p1", "Un fablab ouvre pour les jeunes du quartier.", ["technologique"])
        _add_page(
            session, "p2", "Un fablab ouvre pour les jeunes du quartier (reprise).", ["technologique"], "p1"
        )
        session.add(PageRow(id="p3", text="Page crawlée mais pas encore analysée."))
        session.commit()
    engine = EmbeddedEngine(settings.data_dir / "idx", embedder=embedder)
    report = reindex(factory, engine)
    assert report.indexed == 2 and engine.count() == 2  # p3 has no analysis yet
    doc = engine.get_document("p1")
    assert doc["qpv"] == ["QN01301M"] and doc["review_status"] == ["pending"] and doc["group"] == "p1"
    assert engine.get_document("p2")["group"] == "p1"
    assert engine.search(SearchQuery(text="fablab", mode="keyword")).hits[0].duplicates == 1

    with factory() as session:
        session.add(ReviewRow(doc_id="p1", status="validated", corrections={"innovation_types": ["sociale"]}))
        session.delete(session.get(AnalysisRow, "p2"))
        session.commit()
    reindex(factory, engine, ["p1", "p2"])
    doc = engine.get_document("p1")
    assert doc["review_status"] == ["validated"] and doc["innovation_type"] == ["sociale"]
    assert engine.count() == 1  # p2 lost its analysis: removed from the index

    assert rebuild_index(factory, engine).indexed == 1 and engine.count() == 1


def test_ids_moved_by_the_canonicalisation_leave_the_index_once(
    settings: Settings, db: tuple[Engine, sessionmaker[Session]], embedder: CachedEmbedder
) -> None:
    factory = db[1]
    with factory() as session:
        _add_page(session, "old1", "Un fablab ouvre pour les jeunes du quartier.", ["technologique"])
        session.commit()
    engine = EmbeddedEngine(settings.data_dir / "idx", embedder=embedder)
    reindex(factory, engine)
    with factory() as session:  # what migration 0009 does to the system of record
        page, analysis = session.get(PageRow, "old1"), session.get(AnalysisRow, "old1")
        assert page is not None and analysis is not None
        session.delete(analysis)
        session.flush()
        page.id = "new1"
        session.add(AnalysisRow(doc_id="new1", result={**analysis.result, "id": "new1"}, is_initiative=True,
                                initiative_score=0.8, in_qpv=True, doc_kind="press"))  # fmt: skip
        session.add(PageIdMoveRow(old_id="old1", new_id="new1"))
        session.commit()
    reindex(factory, engine)
    assert engine.count() == 2  # the old id lingers until the moves are applied
    assert drop_moved_ids(factory, engine) == 1
    assert engine.count() == 1 and engine.get_document("new1")["id"] == "new1"
    assert drop_moved_ids(factory, engine) == 0
    with factory() as session:
        assert session.get(PageIdMoveRow, "old1").unindexed_at is not None  # type: ignore[union-attr]


def test_embedding_cache_does_not_re_embed(tmp_path: Path, embedder: CachedEmbedder) -> None:
    cache = CachedEmbedder(embedder.inner, tmp_path / "cache.sqlite")
    texts = ["Une ressourcerie solidaire ouvre ses portes.", "Un jardin partagé au pied des tours."]
    first = cache.embed_passages(texts)
    again = CachedEmbedder(embedder.inner, tmp_path / "cache.sqlite").embed_passages(texts[::-1])
    assert cache.misses == 2
    assert np.allclose(first[::-1], again)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-3)


def test_evaluate_search_prints_metrics_per_mode(settings: Settings, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        "\n".join(
            json.dumps({"id": i, "text": t}, ensure_ascii=False)
            for i, t in [
                ("a", "Un fablab pour les jeunes de Marseille."),
                ("b", "Des jardins partagés au pied des immeubles."),
                ("c", "Une épicerie solidaire tenue par des habitantes."),
            ]
        ),
        encoding="utf-8",
    )
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"qid": "q1", "query": "fablab jeunes", "relevant": {"a": 2}})
        + "\n"
        + json.dumps({"qid": "q2", "query": "potager collectif", "relevant": {"b": 1}})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "scores.json"
    done = run_vigie(
        ["evaluate", "search", "--queries", str(queries), "--corpus", str(corpus), "--output", str(out)],
        settings.data_dir,
    )
    assert done.returncode == 0, done.stderr
    assert "hybrid / keyword nDCG@10" in done.stdout
    scores = json.loads(out.read_text())
    assert scores["keyword"]["per_query"]["q1"] == 1.0
    assert scores["documents"] == 3
    # "potager collectif" shares no word with the shared gardens: keyword misses it, semantic ranks it first.
    assert scores["keyword"]["per_query"]["q2"] == 0.0
    assert scores["semantic"]["per_query"]["q2"] == 1.0

    args = ["evaluate", "search", "--queries", str(queries), "--corpus", str(corpus), "--output", str(out)]
    even = run_vigie([*args, "--half", "even"], settings.data_dir)
    assert even.returncode == 0, even.stderr
    halved = json.loads(out.read_text())
    assert (halved["half"], halved["queries"], list(halved["keyword"]["per_query"])) == ("even", 1, ["q2"])
    wrong = run_vigie([*args, "--half", "third"], settings.data_dir)
    assert wrong.returncode != 0 and "unknown half 'third'" in wrong.stderr
