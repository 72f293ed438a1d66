"""The in-QPV rule is written once: the analysis and the evaluation's coded form always agree."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nlp.geo.in_qpv import combine_in_qpv, decide_in_qpv, geo_code, merge_passages

DECISIONS = (True, False, None)


def test_one_passage_in_a_qpv_is_enough_and_elsewhere_only_fills_a_blank() -> None:
    assert merge_passages(None, True) is True
    assert merge_passages(False, True) is True
    assert merge_passages(True, False) is True
    assert merge_passages(None, False) is False
    assert merge_passages(False, None) is False
    assert merge_passages(None, None) is None


@pytest.mark.parametrize(("foreign", "in_qpv"), list(itertools.product((True, False), DECISIONS)))
def test_evaluation_scores_the_rule_the_analysis_applies(foreign: bool, in_qpv: bool | None) -> None:
    for is_initiative in (True, False):
        decided = decide_in_qpv(is_initiative, 0.9, 0.5, linked=True, foreign=foreign, in_qpv=in_qpv)
        coded = combine_in_qpv(
            np.array([int(is_initiative)]), np.array([1]), np.array([geo_code(foreign, in_qpv)])
        )
        assert int(coded[0]) == int(decided is True)


def test_without_the_linker_the_classifier_decides() -> None:
    assert decide_in_qpv(True, 0.7, 0.5, linked=False, foreign=True, in_qpv=None) is True
    assert decide_in_qpv(True, 0.3, 0.5, linked=False, foreign=False, in_qpv=True) is False
    assert decide_in_qpv(False, 0.9, 0.5, linked=False, foreign=False, in_qpv=None) is None
    assert list(combine_in_qpv(np.array([1, 1, 0]), np.array([1, 0, 1]), None)) == [1, 0, 0]


def test_codes_name_each_case() -> None:
    assert [geo_code(False, True), geo_code(False, False), geo_code(False, None), geo_code(True, True)] == [
        1,
        0,
        -1,
        -2,
    ]
