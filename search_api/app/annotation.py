"""Annotation: an active-learning queue, labels from several annotators, agreement and adjudication."""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain import INNOVATION_TYPES
from core.errors import InputError, NotFoundError
from core.storage.tables import AnalysisRow, AnnotationRow, AuditRow, PageRow

log = logging.getLogger(__name__)

ANNOTATORS_PER_ITEM = 2
ADJUDICATION = "adjudication"
_WORD = re.compile(r"\w{4,}", re.UNICODE)


@dataclass
class Candidate:
    """A document offered for labelling, with why it was chosen."""

    doc_id: str
    title: str | None
    uncertainty: float
    source: str | None
    words: frozenset[str]


def _binary_uncertainty(p: float) -> float:
    """1 at p=0.5, 0 at p=0 or 1."""
    return 1.0 - abs(2.0 * min(max(p, 0.0), 1.0) - 1.0)


def uncertainty(result: dict[str, Any]) -> float:
    """Uncertainty of the stored analysis: the initiative score weighs most, type scores help."""
    score = float(result.get("initiative_score", 0.0))
    types = [float(v) for v in (result.get("type_scores") or {}).values()]
    type_part = sum(_binary_uncertainty(v) for v in types) / len(types) if types else 0.0
    return round(0.7 * _binary_uncertainty(score) + 0.3 * type_part, 6)


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def pick_diverse(
    candidates: Sequence[Candidate], size: int, max_similarity: float = 0.5, max_per_source: float = 0.5
) -> list[Candidate]:
    """Most uncertain first, skipping near-duplicates and capping any one source (the diversity guard)."""
    ordered = sorted(candidates, key=lambda c: (-c.uncertainty, c.doc_id))
    cap = max(1, int(size * max_per_source))
    picked: list[Candidate] = []
    per_source: Counter[str | None] = Counter()
    for cand in ordered:
        if len(picked) >= size:
            break
        if per_source[cand.source] >= cap:
            continue
        if any(_jaccard(cand.words, p.words) > max_similarity for p in picked):
            continue
        picked.append(cand)
        per_source[cand.source] += 1
    if len(picked) < size:  # the guard must not starve the queue
        chosen = {p.doc_id for p in picked}
        picked += [c for c in ordered if c.doc_id not in chosen][: size - len(picked)]
    return picked


def select_queue(session: Session, annotator: str, size: int = 20, pool: int = 2000) -> list[Candidate]:
    """The next documents for one annotator, chosen by uncertainty sampling with a diversity guard.

    Documents this annotator already labelled, adjudicated ones and those with enough annotators are
    left out; documents already labelled once by someone else come first, to measure agreement.
    """
    counts: dict[str, set[str]] = defaultdict(set)
    for doc_id, who in session.execute(select(AnnotationRow.doc_id, AnnotationRow.annotator)):
        counts[doc_id].add(who)
    rows = session.execute(
        select(AnalysisRow.doc_id, AnalysisRow.result, PageRow.title, PageRow.source, PageRow.text)
        .join(PageRow, PageRow.id == AnalysisRow.doc_id)
        .limit(pool)
    ).all()
    second: list[Candidate] = []
    fresh: list[Candidate] = []
    for doc_id, result, title, source, text in rows:
        who = counts.get(doc_id, set())
        if annotator in who or ADJUDICATION in who or len(who) >= ANNOTATORS_PER_ITEM:
            continue
        words = frozenset(w.lower() for w in _WORD.findall(f"{title or ''} {(text or '')[:2000]}"))
        cand = Candidate(doc_id, title, uncertainty(result or {}), source, words)
        (second if who else fresh).append(cand)
    picked = pick_diverse(second, size)
    return picked + pick_diverse(fresh, size - len(picked)) if len(picked) < size else picked


def clean_labels(raw: dict[str, Any]) -> dict[str, Any]:
    """Validate a label set: initiative yes/no, in QPV, types, place."""
    if not isinstance(raw.get("is_initiative"), bool):
        raise InputError("labels need is_initiative true or false", hint="answer yes (o) or no (n)")
    in_qpv = raw.get("in_qpv")
    if in_qpv is not None and not isinstance(in_qpv, bool):
        raise InputError(f"in_qpv must be true, false or null, not {in_qpv!r}", hint="toggle it with q")
    types = list(raw.get("innovation_types") or [])
    bad = [t for t in types if t not in INNOVATION_TYPES]
    if bad:
        raise InputError(f"unknown innovation type(s) {bad}", hint=f"use: {', '.join(INNOVATION_TYPES)}")
    place = raw.get("communes") or []
    if isinstance(place, str):
        place = [p.strip() for p in place.split(",") if p.strip()]
    return {
        "is_initiative": raw["is_initiative"],
        "in_qpv": in_qpv,
        "innovation_types": types,
        "communes": place,
    }


def save_annotation(
    session: Session, doc_id: str, annotator: str, labels: dict[str, Any], origin: str = "ui"
) -> AnnotationRow:
    """Store (or replace) one annotator's labels for a document."""
    if session.get(AnalysisRow, doc_id) is None and session.get(PageRow, doc_id) is None:
        raise NotFoundError(f"no document {doc_id!r} to annotate", hint="pick one from the queue")
    clean = clean_labels(labels)
    row = session.scalars(
        select(AnnotationRow).where(AnnotationRow.doc_id == doc_id, AnnotationRow.annotator == annotator)
    ).first() or AnnotationRow(doc_id=doc_id, annotator=annotator, origin=origin)
    row.labels = clean
    session.add(row)
    session.commit()
    return row


def label_vector(labels: dict[str, Any]) -> dict[str, Any]:
    """The categorical fields agreement is measured on."""
    vec: dict[str, Any] = {"is_initiative": labels.get("is_initiative"), "in_qpv": labels.get("in_qpv")}
    for t in INNOVATION_TYPES:
        vec[f"type:{t}"] = t in (labels.get("innovation_types") or [])
    return vec


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float | None:
    """Cohen's kappa of two raters over the same items (None when undefined)."""
    if len(a) != len(b) or not a:
        return None
    n = len(a)
    observed = float(sum(x == y for x, y in zip(a, b, strict=True))) / n
    ca, cb = Counter(a), Counter(b)
    expected = float(sum(ca[k] * cb[k] for k in set(ca) | set(cb))) / (n * n)
    if expected >= 1.0:
        return 1.0 if observed == 1.0 else None
    return round((observed - expected) / (1.0 - expected), 4)


def fleiss_kappa(ratings: Sequence[Sequence[Any]]) -> float | None:
    """Fleiss' kappa over items rated by two or more raters (per-item rater counts may differ)."""
    items = [list(r) for r in ratings if len(r) >= 2]
    if not items:
        return None
    totals: Counter[Any] = Counter()
    p_items = []
    for r in items:
        counts = Counter(r)
        totals.update(counts)
        n = len(r)
        p_items.append((sum(c * c for c in counts.values()) - n) / (n * (n - 1)))
    n_all = sum(totals.values())
    p_e = sum((c / n_all) ** 2 for c in totals.values())
    p_bar = sum(p_items) / len(p_items)
    if p_e >= 1.0:
        return 1.0 if p_bar == 1.0 else None
    return round((p_bar - p_e) / (1.0 - p_e), 4)


def _human_annotations(session: Session) -> dict[str, dict[str, dict[str, Any]]]:
    by_doc: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for row in session.scalars(select(AnnotationRow).where(AnnotationRow.origin != ADJUDICATION)):
        by_doc[row.doc_id][row.annotator] = label_vector(row.labels or {})
    return by_doc


def agreement_report(session: Session) -> dict[str, Any]:
    """Fleiss' kappa per field, Cohen's kappa per annotator pair, and how many items overlap."""
    by_doc = _human_annotations(session)
    shared = {d: v for d, v in by_doc.items() if len(v) >= 2}
    fields = ["is_initiative", "in_qpv"] + [f"type:{t}" for t in INNOVATION_TYPES]
    fleiss = {f: fleiss_kappa([[vec[f] for vec in v.values()] for v in shared.values()]) for f in fields}
    pairs = []
    annotators = sorted({a for v in shared.values() for a in v})
    for a, b in combinations(annotators, 2):
        docs = [d for d, v in shared.items() if a in v and b in v]
        if docs:
            kappa = cohen_kappa(
                [shared[d][a]["is_initiative"] for d in docs], [shared[d][b]["is_initiative"] for d in docs]
            )
            pairs.append({"a": a, "b": b, "items": len(docs), "kappa_is_initiative": kappa})
    return {"items_with_several_annotators": len(shared), "fleiss": fleiss, "cohen": pairs}


def disagreements(session: Session) -> list[dict[str, Any]]:
    """Documents whose annotators disagree and that no one has adjudicated yet."""
    adjudicated = set(
        session.scalars(select(AnnotationRow.doc_id).where(AnnotationRow.origin == ADJUDICATION))
    )
    out = []
    for doc_id, vecs in sorted(_human_annotations(session).items()):
        if len(vecs) < 2 or doc_id in adjudicated:
            continue
        fields = sorted(
            {f for v in vecs.values() for f in v if len({str(x.get(f)) for x in vecs.values()}) > 1}
        )
        if fields:
            out.append({"doc_id": doc_id, "fields": fields, "annotators": sorted(vecs)})
    return out


def annotations_of(session: Session, doc_id: str) -> list[AnnotationRow]:
    """Every label set of a document, adjudication included."""
    return list(
        session.scalars(
            select(AnnotationRow).where(AnnotationRow.doc_id == doc_id).order_by(AnnotationRow.id)
        )
    )


def get_document(session: Session, doc_id: str) -> tuple[PageRow | None, AnalysisRow | None]:
    """A document's stored page and analysis, to label it."""
    return session.get(PageRow, doc_id), session.get(AnalysisRow, doc_id)


def adjudicate(session: Session, doc_id: str, actor: str, labels: dict[str, Any]) -> AnnotationRow:
    """Record the final labels of a disputed document; audited."""
    row = save_annotation(session, doc_id, ADJUDICATION, labels, origin=ADJUDICATION)
    session.add(AuditRow(actor=actor, action="adjudicate", doc_id=doc_id, before=None, after=row.labels))
    session.commit()
    return row
