"""Document kind read with the other pages of its site: the mix, and the collective step over stored pages."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from core.domain import Analysis
from core.settings import Settings
from core.storage import open_database
from core.storage.analyses import AnalysisRepository
from core.storage.tables import AnalysisRow, IndexOutboxRow, PageRow
from nlp.classifiers.host_kinds import smooth_by_host, smooth_scores, url_host
from vigie.stages import analyze_stored
from vigie.wiring import make_analyzer

KINDS = ["other", "press"]
SEED = "data/annotations-seed/seed.jsonl"


def test_a_page_alone_keeps_its_kind_and_its_site_tips_a_close_call() -> None:
    hosts = ["ville.fr", "ville.fr", "ville.fr", "blog.fr", "", ""]
    probs = [
        [0.55, 0.45],  # other by a little; its two peers are press
        [0.10, 0.90],
        [0.20, 0.80],
        [0.55, 0.45],  # the same close call, alone on its host
        [0.55, 0.45],  # no host: never pooled, not even with the next one
        [0.05, 0.95],
    ]
    kinds = smooth_by_host(hosts, probs, KINDS, 0.3)
    assert list(kinds) == ["press", "press", "press", "other", "other", "press"]
    assert list(smooth_by_host(hosts, probs, KINDS, 0.0)) == [
        "other",
        "press",
        "press",
        "other",
        "other",
        "press",
    ]
    # a page far from its peers keeps its kind at this weight, and follows them at a high one
    far = [[0.80, 0.20], [0.10, 0.90], [0.10, 0.90]]
    assert list(smooth_by_host(["a.fr"] * 3, far, KINDS, 0.3)) == ["other", "press", "press"]
    assert list(smooth_by_host(["a.fr"] * 3, far, KINDS, 0.9)) == ["press", "press", "press"]


def test_the_kinds_do_not_depend_on_the_order_of_the_pages() -> None:
    rng = np.random.default_rng(7)
    classes = ["association", "institutional", "other", "press"]
    probs = rng.dirichlet(np.ones(4), size=60)
    hosts = [f"site{int(i)}.fr" for i in rng.integers(0, 12, 60)]
    kinds = smooth_by_host(hosts, probs, classes, 0.3)
    assert (kinds != np.asarray(classes, dtype=object)[probs.argmax(1)]).any()  # the mix changed some
    order = rng.permutation(60)
    again = smooth_by_host([hosts[i] for i in order], probs[order], classes, 0.3)
    assert list(again) == list(kinds[order])


def test_hosts_scores_and_bad_arguments() -> None:
    assert url_host("https://WWW.Ville-Lyon.fr:8443/actualites?p=2") == "ville-lyon.fr"
    assert url_host("http://www.") == ""
    assert url_host(None) == url_host("pas une adresse") == url_host("http://[::1") == ""
    assert url_host("https://wwwville.fr/") == "wwwville.fr"
    # a kind missing from a page's scores counts as 0; the classes are sorted
    assert smooth_scores(["a.fr", "a.fr"], [{"press": 0.52, "other": 0.48}, {"other": 0.9}], 0.3) == [
        "other",
        "other",
    ]
    assert smooth_scores([], [], 0.3) == []
    with pytest.raises(ValueError, match="weight"):
        smooth_by_host(["a.fr"], [[0.5, 0.5]], KINDS, 1.5)
    with pytest.raises(ValueError, match="shape"):
        smooth_by_host(["a.fr", "b.fr"], [[0.5, 0.5]], KINDS, 0.3)


def _analysis(doc_id: str, press: float | None) -> Analysis:
    """An analysis whose doc-kind model gave ``press`` (None: an analysis from before scores were kept)."""
    scores = {} if press is None else {"other": round(1 - press, 4), "press": press}
    own = "other" if press is None else ("press" if press > 0.5 else "other")
    return Analysis(
        id=doc_id,
        is_initiative=False,
        initiative_score=0.1,
        innovation_types=[],
        type_scores={},
        in_qpv=None,
        qpv=[],
        communes=[],
        doc_kind=own,
        initiatives=[],
        doc_kind_scores=scores,
    )


URLS = {
    "a1": "https://www.ville.fr/actualites/1",
    "a2": "https://VILLE.fr/actualites/2",
    "a3": "http://ville.fr/agenda",
    "a4": "https://ville.fr/vieux",  # analysed before the scores were kept
    "a5": "https://ville.fr.example.com/x",  # another host that contains the name
    "b1": "https://blog.fr/billet",
} | {f"p{i}": f"https://quartier.fr/{i}" for i in range(3)}
PRESS = {
    "a1": 0.45,
    "a2": 0.9,
    "a3": 0.7,
    "a4": None,
    "a5": 0.2,
    "b1": 0.45,
    "p0": 0.55,
    "p1": 0.1,
    "p2": 0.95,
}
STEP = partial(smooth_scores, weight=0.3)


def _store(factory, ids: Sequence[str]) -> None:  # type: ignore[no-untyped-def]
    """What `analyze_stored` does for these pages: save their analyses, then the host step."""
    with factory() as session, session.begin():
        for doc_id in ids:
            if session.get(PageRow, doc_id) is None:
                session.add(PageRow(id=doc_id, url=URLS[doc_id], text=f"texte {doc_id}"))
    repository = AnalysisRepository(factory)
    repository.save([(_analysis(i, PRESS[i]), "h") for i in ids])
    repository.rekind_hosts({url_host(URLS[i]) for i in ids}, STEP)


def test_analyses_stored_before_the_scores_were_kept_still_load() -> None:
    old = _analysis("vieux", None).to_contract()
    del old["doc_kind_scores"]
    assert Analysis.from_contract(old) == _analysis("vieux", None)
    new = _analysis("neuf", 0.8)
    assert Analysis.from_contract(new.to_contract()).doc_kind_scores == {"other": 0.2, "press": 0.8}


def _kinds(factory) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with factory() as session:
        rows = session.scalars(select(AnalysisRow)).all()
        assert all(r.result["doc_kind"] == r.doc_kind for r in rows)
        return {r.doc_id: r.doc_kind for r in rows}


def test_stored_kinds_follow_the_site_whatever_the_order_of_the_runs(any_db_url: str) -> None:
    engine, factory = open_database(any_db_url)
    _store(factory, ["a1", "b1"])
    assert _kinds(factory) == {"a1": "other", "b1": "other"}  # a1 alone on its host so far
    _store(factory, ["a2", "a3", "a4", "a5"])
    first = _kinds(factory)
    # a1 (0.45 press) follows its site's press pages; the old analysis a4, the look-alike host a5 and
    # b1 (alone on blog.fr) keep their own kinds
    assert first == {"a1": "press", "a2": "press", "a3": "press", "a4": "other", "a5": "other", "b1": "other"}
    with factory() as session:
        assert [r.doc_id for r in session.scalars(select(IndexOutboxRow))] == ["a1"]  # the one row changed
        stamp = session.get(AnalysisRow, "a2").analysed_at  # type: ignore[union-attr]
    AnalysisRepository(factory).rekind_hosts(["ville.fr", "blog.fr", ""], STEP)  # nothing to change
    with factory() as session:
        assert session.get(AnalysisRow, "a2").analysed_at == stamp  # type: ignore[union-attr]
        assert len(session.scalars(select(IndexOutboxRow)).all()) == 1
        session.query(AnalysisRow).delete()
        session.commit()
    _store(factory, ["a5", "a4", "a3", "a2"])
    _store(factory, ["b1", "a1"])
    assert _kinds(factory) == first
    engine.dispose()


def test_two_runs_at_once_lose_no_update(any_db_url: str) -> None:
    """Run A's host step reads {p0, p1}; meanwhile run B saves p2 and starts its step: B's must see A's."""
    engine, factory = open_database(any_db_url)
    _store(factory, ["p0"])
    inside, go = threading.Event(), threading.Event()

    def gated(hosts: Sequence[str], scores: Sequence[Mapping[str, float]]) -> list[str]:
        inside.set()
        assert go.wait(60)
        return STEP(hosts, scores)

    def run_a() -> None:
        repository = AnalysisRepository(factory)
        repository.save([(_analysis("p1", PRESS["p1"]), "h")])
        repository.rekind_hosts(["quartier.fr"], gated)

    errors: list[BaseException] = []

    def guarded(target) -> threading.Thread:  # type: ignore[no-untyped-def]
        def body() -> None:
            try:
                target()
            except BaseException as exc:  # reported below
                errors.append(exc)

        return threading.Thread(target=body)

    with factory() as session, session.begin():
        session.add_all([PageRow(id=i, url=URLS[i], text=i) for i in ("p1", "p2")])
    a = guarded(run_a)
    a.start()
    assert inside.wait(60)  # A has read p0 and p1 and holds its lock
    b = guarded(lambda: _store(factory, ["p2"]))
    b.start()
    time.sleep(0.5)  # let B reach its save or its step while A still holds the host
    go.set()
    a.join(60)
    b.join(60)
    assert not errors and not a.is_alive() and not b.is_alive()
    # alone with p1 (0.1), p0 (0.55) turns "other"; with p2 (0.95) too, it is "press" again
    assert STEP(["quartier.fr"] * 2, [{"other": 0.45, "press": 0.55}, {"other": 0.9, "press": 0.1}]) == [
        "other",
        "other",
    ]
    assert _kinds(factory) == {"p0": "press", "p1": "other", "p2": "press"}
    engine.dispose()


def _seed_pages_sharing_hosts(shared_dir: Path, limit: int = 36) -> list[dict[str, str]]:
    """Real seed texts past the small model's training excerpts, on hosts with two texts or more."""
    records = [json.loads(line) for line in (shared_dir / SEED).read_text(encoding="utf-8").splitlines()][80:]
    by_host: dict[str, list[dict[str, str]]] = {}
    for r in records:
        if r.get("url") and r.get("text"):
            by_host.setdefault(url_host(r["url"]), []).append(r)
    shared = [r for host, rs in sorted(by_host.items()) if host and len(rs) > 1 for r in rs]
    return [{"id": r["id"], "url": r["url"], "text": r["text"]} for r in shared[:limit]]


def _analyse_in_two_runs(factory, analyzer, first: list[dict[str, str]], then: list[dict[str, str]]) -> None:  # type: ignore[no-untyped-def]
    for pages in (first, then):
        with factory() as session, session.begin():
            session.add_all([PageRow(id=p["id"], url=p["url"], text=p["text"]) for p in pages])
        assert analyze_stored(factory, analyzer, everything=False, host_weight=0.3) == (len(pages), 0)


def test_vigie_analyze_reads_real_pages_with_their_site_in_any_order(
    analysis_settings: Settings, db, shared_dir: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """Stored seed pages analysed A then B, or B then A: the same kinds, those of the site-level mix."""
    pages = _seed_pages_sharing_hosts(shared_dir)
    assert len({url_host(p["url"]) for p in pages}) >= 5
    part_a, part_b = pages[::2], pages[1::2]
    analyzer = make_analyzer(analysis_settings, batch_size=8)
    _, one = db
    _analyse_in_two_runs(one, analyzer, part_a, part_b)
    engine, other = open_database(f"sqlite:///{tmp_path / 'other.db'}")
    _analyse_in_two_runs(other, analyzer, part_b, part_a)
    kinds = _kinds(one)
    assert kinds == _kinds(other)
    with one() as session:
        rows = {r.doc_id: r for r in session.scalars(select(AnalysisRow))}
    urls = {p["id"]: p["url"] for p in pages}
    ids = sorted(rows)
    scores = [rows[i].result["doc_kind_scores"] for i in ids]
    assert all(scores)
    assert [kinds[i] for i in ids] == smooth_scores([url_host(urls[i]) for i in ids], scores, 0.3)
    own = {i: max(s, key=s.__getitem__) for i, s in zip(ids, scores, strict=True)}
    assert any(kinds[i] != own[i] for i in ids)  # the site changed some kinds
    engine.dispose()
