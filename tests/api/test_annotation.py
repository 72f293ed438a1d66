"""Active learning, agreement and adjudication on a real SQLite database."""

from __future__ import annotations

import pytest

from core.errors import InputError
from search_api.app import annotation
from search_api.app.annotation import Candidate, cohen_kappa, fleiss_kappa, pick_diverse, uncertainty
from tests.support.live_app import seed

YES = {"is_initiative": True, "in_qpv": True, "innovation_types": ["sociale"], "communes": []}
NO = {"is_initiative": False, "in_qpv": None, "innovation_types": [], "communes": []}


def test_cohen_kappa_known_value() -> None:
    # 50 items: both yes 20, both no 15, a-yes/b-no 5, a-no/b-yes 10 -> po=0.7, pe=0.5 -> kappa 0.4
    a = ["y"] * 20 + ["n"] * 15 + ["y"] * 5 + ["n"] * 10
    b = ["y"] * 20 + ["n"] * 15 + ["n"] * 5 + ["y"] * 10
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa(a, a) == 1.0


def test_fleiss_kappa_known_value() -> None:
    # Fleiss (1971) style table from the Wikipedia worked example: 10 items, 14 raters, 5 categories.
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    ratings = [[cat for cat, n in enumerate(row) for _ in range(n)] for row in table]
    assert fleiss_kappa(ratings) == pytest.approx(0.210, abs=0.001)


def test_uncertainty_peaks_at_half() -> None:
    values = [uncertainty({"initiative_score": p}) for p in (0.5, 0.8, 0.99)]
    assert values == sorted(values, reverse=True) and values[0] == 0.7


def test_diversity_guard_skips_near_duplicates_and_caps_a_source() -> None:
    words = frozenset({"jardin", "partagé", "quartier", "habitants"})
    cands = [
        Candidate("a", None, 0.99, "s1", words),
        Candidate("b", None, 0.98, "s2", words),  # same words as a: a near-duplicate
        Candidate("c", None, 0.90, "s1", frozenset({"recyclerie"})),
        Candidate("d", None, 0.50, "s3", frozenset({"numérique"})),
        Candidate("e", None, 0.40, "s1", frozenset({"mobilité"})),
    ]
    picked = [c.doc_id for c in pick_diverse(cands, 3, max_per_source=0.34)]
    assert picked == ["a", "d", "b"] or picked[:2] == ["a", "d"]
    assert "b" not in picked[:2]


def test_queue_prefers_uncertain_and_skips_what_i_labelled(db) -> None:
    _, factory = db
    seed(factory)
    with factory() as session:
        first = [c.doc_id for c in annotation.select_queue(session, "anna", size=6)]
        assert first[:2] == ["d6", "d3"]  # scores 0.48 and 0.55: the most uncertain
        assert first.index("d5") < first.index("d1")  # 0.62 before 0.91
        annotation.save_annotation(session, "d1", "anna", YES)
        assert "d1" not in [c.doc_id for c in annotation.select_queue(session, "anna")]
        # someone else's queue puts d1 first: a second opinion measures agreement
        assert annotation.select_queue(session, "bob", size=3)[0].doc_id == "d1"


def test_agreement_disagreement_and_adjudication(db) -> None:
    _, factory = db
    seed(factory)
    with factory() as session:
        for doc in ("d1", "d2", "d3"):
            annotation.save_annotation(session, doc, "anna", YES)
        annotation.save_annotation(session, "d1", "bob", YES)
        annotation.save_annotation(session, "d2", "bob", YES)
        annotation.save_annotation(session, "d3", "bob", NO)
        report = annotation.agreement_report(session)
        assert report["items_with_several_annotators"] == 3
        assert report["cohen"][0]["items"] == 3
        disputes = annotation.disagreements(session)
        assert [d["doc_id"] for d in disputes] == ["d3"]
        assert "is_initiative" in disputes[0]["fields"]
        annotation.adjudicate(session, "d3", "rita", NO)
        assert annotation.disagreements(session) == []
        assert "d3" not in [c.doc_id for c in annotation.select_queue(session, "carl")]


def test_bad_labels_are_clear_errors(db) -> None:
    _, factory = db
    seed(factory)
    with factory() as session, pytest.raises(InputError, match="unknown innovation type"):
        annotation.save_annotation(session, "d1", "anna", {**YES, "innovation_types": ["magique"]})
