"""Ranking quality metrics over graded judgements: nDCG@k and recall@k."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def dcg(gains: Sequence[float]) -> float:
    """Discounted cumulative gain with exponential gains (2^grade - 1)."""
    return float(sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(gains)))


def ndcg_at_k(ranked: Sequence[str], judgements: Mapping[str, float], k: int = 10) -> float:
    """nDCG@k of a ranking against graded judgements (unjudged documents have grade 0)."""
    ideal = dcg(sorted((g for g in judgements.values() if g > 0), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([float(judgements.get(doc_id, 0)) for doc_id in ranked[:k]]) / ideal


def recall_at_k(ranked: Sequence[str], judgements: Mapping[str, float], k: int = 10) -> float:
    """Share of relevant documents (grade > 0) found in the first k."""
    relevant = {doc_id for doc_id, g in judgements.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)
