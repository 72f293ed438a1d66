"""What is embedded for a document: its head (title + start) and overlapping passages of its body.

A document's semantic score is ``HEAD_WEIGHT * cos(query, head) + (1 - HEAD_WEIGHT) * max over
its passages of cos(query, passage)``: the head carries the lede (what the page is about), the best
passage lets a query meet the one paragraph that answers it further down. Measured on our query
set, the mix beats the head alone and the passages alone (docs/search.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from core.protocols import Embedder
from search_api.engines.base import IndexDocument

# e5 reads 512 tokens at most; the head is cut here so the cache key matches what was embedded.
HEAD_CHARS = 1500
PASSAGE_CHARS = 600
PASSAGE_OVERLAP = 150
# Bounds the embedding cost of very long pages (about 3,800 characters are read as passages).
MAX_PASSAGES = 8
HEAD_WEIGHT = 0.5


def head_text(title: str | None, text: str) -> str:
    """The head embedded for a document: its title, then the start of its body."""
    head = f"{title.strip()}. " if title and title.strip() else ""
    return (head + (text or "")).strip()[:HEAD_CHARS] or " "


def _cut_at_space(text: str, start: int, end: int) -> int:
    """``end`` moved back to the last space of the window's second half (a word is never cut)."""
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", start + (end - start) // 2, end)
    return space if space > start else end


def split_passages(
    text: str, size: int = PASSAGE_CHARS, overlap: int = PASSAGE_OVERLAP, limit: int = MAX_PASSAGES
) -> list[str]:
    """Windows of about ``size`` characters, cut between words, each overlapping the previous one."""
    text = text or ""
    out: list[str] = []
    start = 0
    while start < len(text) and len(out) < limit:
        end = _cut_at_space(text, start, start + size)
        out.append(text[start:end].strip())
        if end >= len(text):
            break
        nxt = max(end - overlap, start + 1)
        space = text.find(" ", nxt, end)
        start = space + 1 if space >= 0 else nxt
    return [p for p in out if p]


def make_passages(title: str | None, text: str) -> list[str]:
    """The passages of a document, each led by the title; none when the head already holds it all."""
    head = f"{title.strip()}. " if title and title.strip() else ""
    passages = [(head + chunk).strip() for chunk in split_passages(text)]
    if len(passages) <= 1 and len((head + (text or "")).strip()) <= HEAD_CHARS:
        return []  # a short document: its single passage is its head
    return passages


def embed_documents(embedder: Embedder, docs: Sequence[IndexDocument]) -> None:
    """Set ``vector`` (the head) and ``passage_vectors`` of each document, in one batched call."""
    texts: dict[str, int] = {}
    plans: list[tuple[int, list[int]]] = []
    for doc in docs:
        head = texts.setdefault(head_text(doc.title, doc.text), len(texts))
        passages = [texts.setdefault(p, len(texts)) for p in make_passages(doc.title, doc.text)]
        plans.append((head, passages))
    if not texts:
        return
    vectors = np.asarray(embedder.embed_passages(list(texts)), dtype=np.float32)
    for doc, (head, passages) in zip(docs, plans, strict=True):
        doc.vector = vectors[head]
        doc.passage_vectors = vectors[passages] if passages else None


def best_passage_scores(
    head: npt.NDArray[np.float32], owners: npt.NDArray[np.int64], sims: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """Mix head cosines with each document's best passage (``owners``: its index in ``head``, sorted).

    Documents without passages keep their head cosine (their only passage is their head).
    """
    out = head.copy()
    if sims.size == 0:
        return out
    starts = np.flatnonzero(np.concatenate(([True], owners[1:] != owners[:-1])))
    best = np.maximum.reduceat(sims, starts)
    rows = owners[starts]
    out[rows] = HEAD_WEIGHT * head[rows] + (1.0 - HEAD_WEIGHT) * best
    return out
