"""Keyword-side pseudo-relevance feedback: expansion terms drawn from the first documents of a ranking.

A relevance model (RM3, Lavrenko & Croft 2001; Abdul-Jaleel et al. 2004) in our own code, so both backends
expand alike: each feedback document gives its analysed terms a probability (term frequency over length),
weighted by the document's share of the feedback scores; the best terms not already in the query are
searched as a second BM25 query, whose list is mixed into the keyword list with a small weight (the
backends take unweighted term lists, so the original and expansion terms are two queries, not one).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from search_api.engines.french import analyze


def expansion_terms(
    texts: Sequence[str],
    weights: Sequence[float],
    query_terms: Sequence[str],
    size: int,
    min_docs: int = 2,
) -> list[str]:
    """The ``size`` best relevance-model terms of the feedback texts, query terms excluded.

    A term must occur in at least ``min_docs`` feedback texts (one document's names are not the topic);
    ties are broken by the term so both backends pick the same terms.
    """
    if size <= 0 or not texts:
        return []
    total = sum(max(w, 0.0) for w in weights) or float(len(texts))
    scores: dict[str, float] = {}
    seen: Counter[str] = Counter()
    excluded = set(query_terms)
    for text, weight in zip(texts, weights, strict=True):
        terms = [t for t in analyze(text) if len(t) > 2 and not t.isdigit()]
        if not terms:
            continue
        share = (max(weight, 0.0) / total) if total else 1.0 / len(texts)
        counts = Counter(terms)
        for term, count in counts.items():
            if term in excluded:
                continue
            scores[term] = scores.get(term, 0.0) + share * count / len(terms)
            seen[term] += 1
    ranked = sorted((t for t in scores if seen[t] >= min_docs), key=lambda t: (-scores[t], t))
    return ranked[:size]
