"""Checks a document before any backend indexes it, so both reject the same documents."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from search_api.engines.base import KEYWORD_FIELDS, IndexDocument


def check_document(doc: IndexDocument, dim: int) -> str | None:
    """The reason a document cannot be indexed, or None when it is fine."""
    if not isinstance(doc.id, str) or not doc.id.strip() or len(doc.id) > 64:
        return "id must be a non-empty string of at most 64 characters"
    if not isinstance(doc.text, str):
        return f"text must be a string, got {type(doc.text).__name__}"
    if doc.vector is not None:
        shape = getattr(doc.vector, "shape", None)
        if shape != (dim,):
            return f"vector must have shape ({dim},), got {shape}"
        if not np.all(np.isfinite(doc.vector)):
            return "vector holds NaN or infinite values"
    if doc.passage_vectors is not None:
        shape = getattr(doc.passage_vectors, "shape", None)
        if doc.vector is None or shape != (len(doc.passage_spans), dim) or not doc.passage_spans:
            return f"passage vectors must have shape ({len(doc.passage_spans)}, {dim}) beside a head vector"
        if not np.all(np.isfinite(doc.passage_vectors)):
            return "passage vectors hold NaN or infinite values"
    unknown = set(doc.keywords) - set(KEYWORD_FIELDS)
    if unknown:
        return f"unknown keyword fields {sorted(unknown)}"
    return None


def validate_documents(docs: Sequence[IndexDocument], dim: int) -> tuple[list[IndexDocument], dict[str, str]]:
    """Split documents into the indexable ones and ``{id: reason}`` for the rejected ones."""
    good: list[IndexDocument] = []
    errors: dict[str, str] = {}
    for position, doc in enumerate(docs):
        reason = check_document(doc, dim)
        if reason:
            errors[str(getattr(doc, "id", "") or f"#{position}")] = reason
        else:
            good.append(doc)
    return good, errors
