"""Long documents matched by passages: the head vector as before, plus passages for the text beyond it.

Every document keeps its one head vector (`embedding_cache.passage_text`: title + the first 1,500
characters, same text and cache key as before). A document whose body runs well past the head also gets
passage vectors: windows of the head's size over the text beyond it, each embedded as ``title. window``
(what the head would be if the page started there). Its semantic score is the cosine of its best vector,
head or passage: ``max(cos(q, head), max_i cos(q, passage_i))``, the same in both backends.

Short documents (most of today's corpora: the analysts' excerpts are at most 1,968 characters) get no
passage, so they rank exactly as with the head alone: a passage is cut only when the text beyond the head
is at least `MIN_TAIL_CHARS` long (half a window: a shorter tail, read by an end-aligned window, would be
more than half head text already embedded).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from core.protocols import Embedder
from search_api.engines.base import IndexDocument, Vector
from search_api.engines.embedding_cache import PASSAGE_CHARS, passage_text

# Passages per document at most (bounds the embedding cost of very long pages: 8 windows read about
# 13,000 characters with the head); the setting `VIGIE_SEARCH_MAX_PASSAGES` reaches the engines (0: off).
MAX_PASSAGES = 8
# Half a window: below it, the text beyond the head is left to the head (see the module docstring).
MIN_TAIL_CHARS = PASSAGE_CHARS // 2
# A window starts at a sentence start found at most this far before its nominal start, and ends at a
# space found at most this far before its nominal end (a word is never cut).
ALIGN_CHARS = 200
_SENTENCE_END = re.compile(r"[.!?…]\s+|\n")


def _prefix(title: str | None) -> str:
    return f"{title.strip()}. " if title and title.strip() else ""


def head_end(title: str | None, text: str) -> int:
    """The offset in ``text`` where the head (`passage_text`) stops reading the body."""
    prefix = _prefix(title)
    lead = 0 if prefix else len(text) - len(text.lstrip())
    return min(len(text), lead + max(0, PASSAGE_CHARS - len(prefix)))


def _sentence_start(text: str, start: int, floor: int) -> int:
    """``start`` moved back to the start of its sentence when one begins within `ALIGN_CHARS` (not below
    ``floor``); unchanged otherwise."""
    low = max(floor, start - ALIGN_CHARS)
    last = None
    for match in _SENTENCE_END.finditer(text, low, start):
        last = match.end()
    return last if last is not None and last < start else start


def _word_end(text: str, end: int) -> int:
    """``end`` moved back to the last space within `ALIGN_CHARS` (the text's end is kept)."""
    if end >= len(text):
        return len(text)
    space = text.rfind(" ", max(0, end - ALIGN_CHARS), end)
    return space if space > 0 else end


def passage_spans(
    title: str | None, text: str, cap: int = MAX_PASSAGES, min_tail: int = MIN_TAIL_CHARS
) -> list[tuple[int, int]]:
    """``(start, end)`` offsets in ``text`` of the passages beyond the head: none for a short document.

    Windows have the head's body width, start at sentence starts when cheap, and the last one is aligned to
    the end of the text so no passage is a tiny tail; at most ``cap`` of them (0: none).
    """
    first = head_end(title, text)
    end = len(text.rstrip())
    if cap <= 0 or end - first < min_tail:
        return []
    width = max(PASSAGE_CHARS - len(_prefix(title)), ALIGN_CHARS * 2)
    spans: list[tuple[int, int]] = []
    start = first
    while start < end and len(spans) < cap:
        if end - start <= width:  # the last window: aligned to the end, overlapping the one before
            start = max(first, end - width)
            if start > first:  # forward to the next sentence start, so the window stays within width
                match = _SENTENCE_END.search(text, start, min(end, start + ALIGN_CHARS))
                start = match.end() if match is not None else start
            spans.append((start, end))
            break
        start = _sentence_start(text, start, first - ALIGN_CHARS)
        stop = _word_end(text, start + width)
        spans.append((start, stop))
        start = stop
    return spans


def passage_texts(title: str | None, text: str, spans: Sequence[tuple[int, int]]) -> list[str]:
    """The texts embedded for the passages: ``title. window`` (cut like the head)."""
    prefix = _prefix(title)
    return [(prefix + text[s:e].strip())[:PASSAGE_CHARS] for s, e in spans]


def embed_documents(embedder: Embedder, docs: Sequence[IndexDocument], cap: int = MAX_PASSAGES) -> None:
    """Set each document's head vector and, for long ones, its passage vectors and spans (one model call;
    a `CachedEmbedder` serves passages by content hash like heads)."""
    texts = [passage_text(d.title, d.text) for d in docs]
    owners: list[tuple[int, int, int]] = []  # (document, first text, count)
    spans_of: list[list[tuple[int, int]]] = []
    for i, doc in enumerate(docs):
        spans = passage_spans(doc.title, doc.text, cap)
        spans_of.append(spans)
        if spans:
            owners.append((i, len(texts), len(spans)))
            texts.extend(passage_texts(doc.title, doc.text, spans))
    if not docs:
        return
    vectors = np.asarray(embedder.embed_passages(texts), dtype=np.float32)
    for i, doc in enumerate(docs):
        doc.vector = vectors[i]
    for i, first, count in owners:
        docs[i].passage_vectors = vectors[first : first + count]
        docs[i].passage_spans = spans_of[i]


def best_passage(
    vector: Vector, head: Vector | None, spans: Sequence[tuple[int, int]], matrix: Vector
) -> tuple[int, int, float] | None:
    """The passage that beats the head for a query vector: ``(start, end, cosine)``, or None."""
    if not len(spans):
        return None
    query = np.asarray(vector, dtype=np.float32)
    sims = np.einsum("ij,j->i", np.asarray(matrix, dtype=np.float32), query)
    best = int(np.argmax(sims))
    head_sim = float(np.dot(np.asarray(head, dtype=np.float32), query)) if head is not None else -1.0
    if float(sims[best]) <= head_sim:
        return None
    start, end = spans[best]
    return int(start), int(end), float(sims[best])
