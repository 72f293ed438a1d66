"""Assertions a trivial model fails: a classifier that flags everything, or nothing, never passes them."""

from __future__ import annotations

from typing import Any


def flag_everything_f1(confusion: list[list[int]]) -> float:
    """F1 of the model that flags every example, on the same examples: 2p / (1 + p), p the positive share."""
    (tn, fp), (fn, tp) = confusion
    positives, total = fn + tp, tn + fp + fn + tp
    share = positives / total
    return 2 * share / (1 + share)


def assert_beats_trivial(report: dict[str, Any]) -> None:
    """A binary report (f1 + confusion [[tn, fp], [fn, tp]]) from a model that actually discriminates."""
    (tn, fp), (fn, tp) = report["confusion"]
    assert tp > 0, f"flags no positive: {report}"
    assert tn > 0, f"flags every example: {report}"
    assert report["f1"] > flag_everything_f1(report["confusion"]), f"no better than flagging all: {report}"
