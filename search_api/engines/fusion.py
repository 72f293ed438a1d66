"""Candidates and their fusion, shared by every backend: value types of the ranking primitives,
reciprocal rank and convex fusion, near-duplicate collapsing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Candidate:
    """A ranked document before collapsing: id, score, duplicate group and date (YYYYMMDD)."""

    id: str
    score: float
    group: str
    date: int = 0


@dataclass
class Lists:
    """The first requests of a query, answered together: keyword, thesaurus-concept and semantic lists,
    count, facets."""

    keyword: list[Candidate] | None = None
    concepts: list[Candidate] | None = None
    semantic: list[Candidate] | None = None
    count: int | None = None
    facets: dict[str, dict[str, int]] | None = None


def _rescored(cand: Candidate, score: float) -> Candidate:
    return Candidate(cand.id, score, cand.group, cand.date)


def fuse_rrf(lists: Sequence[Sequence[Candidate]], weights: Sequence[float], k: int) -> list[Candidate]:
    """Reciprocal rank fusion: score(d) = sum_i w_i / (k + rank_i(d)) / best, ties broken by id.

    ``best = sum_i w_i / (k + 1)``, the score of a document first in every list: fused scores lie in
    0..1 like the convex fusion's, so the analysis signals added by reranking (weights of a few tenths)
    weigh the same against either fusion instead of swamping RRF's raw scores (about 1/60).
    """
    best = sum(weights) / (k + 1) or 1.0
    scores: dict[str, float] = {}
    first: dict[str, Candidate] = {}
    for ranked, weight in zip(lists, weights, strict=True):
        for rank, cand in enumerate(ranked, start=1):
            scores[cand.id] = scores.get(cand.id, 0.0) + weight / (k + rank) / best
            first.setdefault(cand.id, cand)
    order = sorted(scores, key=lambda doc_id: (-scores[doc_id], doc_id))
    return [_rescored(first[i], scores[i]) for i in order]


def _min_max(ranked: Sequence[Candidate]) -> dict[str, float]:
    """Scores of a list rescaled to 0..1 (best = 1, worst of the list = 0; all 1 when equal)."""
    if not ranked:
        return {}
    scores = [c.score for c in ranked]
    low, high = min(scores), max(scores)
    span = high - low
    return {c.id: (c.score - low) / span if span > 0 else 1.0 for c in ranked}


def fuse_convex(lists: Sequence[Sequence[Candidate]], weights: Sequence[float]) -> list[Candidate]:
    """Convex combination: score(d) = sum_i w_i * minmax_i(d) / sum_i w_i (0 where d is absent).

    Min-max normalisation removes each backend's BM25 scale, so both backends fuse alike.
    """
    total = sum(weights) or 1.0
    scores: dict[str, float] = {}
    first: dict[str, Candidate] = {}
    for ranked, weight in zip(lists, weights, strict=True):
        for doc_id, value in _min_max(ranked).items():
            scores[doc_id] = scores.get(doc_id, 0.0) + weight * value / total
        for cand in ranked:
            first.setdefault(cand.id, cand)
    order = sorted(scores, key=lambda doc_id: (-round(scores[doc_id], 9), doc_id))
    return [_rescored(first[i], scores[i]) for i in order]


def collapse(cands: Sequence[Candidate]) -> list[tuple[Candidate, int]]:
    """Keep the best-ranked document of each duplicate group, with how many others it hides."""
    best: dict[str, int] = {}
    out: list[list[Any]] = []
    for cand in cands:
        if cand.group in best:
            out[best[cand.group]][1] += 1
        else:
            best[cand.group] = len(out)
            out.append([cand, 0])
    return [(c, n) for c, n in out]
