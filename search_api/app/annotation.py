"""Annotation: an active-learning queue, labels from several annotators, agreement and adjudication."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain import DOC_KINDS, INNOVATION_TYPES
from core.errors import InputError, NotFoundError
from core.storage.tables import AnalysisRow, AnnotationRow, AuditRow, PageRow

log = logging.getLogger(__name__)

ANNOTATORS_PER_ITEM = 2
ADJUDICATION = "adjudication"
# A text may describe several initiatives (a laureates list): the document's labels are the first one's,
# and up to this many more label sets are kept under "initiatives" (stored and exported, not trained on).
MAX_EXTRA_INITIATIVES = 9
MAX_NAME_CHARS = 300
# What each innovation type means, shown to annotators (our wording of the labelling guide).
TYPE_DEFINITIONS = {
    "sociale": "une réponse nouvelle à un besoin social : insertion, emploi, éducation, solidarité, ESS.",
    "technologique": "l'initiative repose sur une technologie, un outil numérique ou un procédé nouveau "
    "(application, formation au code, fablab, capteurs, énergie solaire…).",
    "territoriale": "une coopération locale, une gouvernance ou un aménagement nouveaux : partenariat "
    "d'acteurs, tiers-lieu, rénovation co-construite, conseil citoyen, table de quartier.",
    "marketing": "une nouvelle façon de promouvoir ou de vendre : image du quartier, fresques, boutique "
    "éphémère, marché de créateurs, paniers solidaires. Étiquette étroite et rare.",
    "services": "un service nouveau pour les habitants ou les entreprises : mobilité, garde d'enfants, "
    "santé, accueil de services publics, réparation, bus itinérant.",
}
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
    clean: dict[str, Any] = {
        "is_initiative": raw["is_initiative"],
        "in_qpv": in_qpv,
        "innovation_types": types,
        "communes": place,
    }
    # Optional fields of the seed's schema, kept when given (external label files carry them).
    kind = raw.get("doc_kind")
    if kind is not None:
        if kind not in DOC_KINDS:
            raise InputError(f"unknown doc_kind {kind!r}", hint=f"use one of {', '.join(DOC_KINDS)}")
        clean["doc_kind"] = kind
    if raw.get("qpv_mentions"):
        clean["qpv_mentions"] = [str(m) for m in raw["qpv_mentions"]]
    extra = raw.get("initiatives") or []
    if extra:
        clean["initiatives"] = clean_initiatives(extra)
    return clean


def clean_initiatives(raw: Any) -> list[dict[str, Any]]:
    """The further initiatives of a text (after the first, which the document's labels describe)."""
    if not isinstance(raw, list) or len(raw) > MAX_EXTRA_INITIATIVES:
        raise InputError(
            "initiatives must be a list of at most 9 label sets",
            hint='e.g. [{"name": "Lauréat 2", "innovation_types": ["sociale"], "in_qpv": true}]',
        )
    out = []
    for n, item in enumerate(raw, start=2):
        if not isinstance(item, dict):
            raise InputError(f"initiative {n} is not an object", hint="give name, innovation_types, in_qpv")
        name = item.get("name")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME_CHARS):
            raise InputError(
                f"initiative {n}: name must be a text of at most 300 characters", hint="shorten it"
            )
        in_qpv = item.get("in_qpv")
        if in_qpv is not None and not isinstance(in_qpv, bool):
            raise InputError(f"initiative {n}: in_qpv must be true, false or null", hint="pick oui/non/?")
        types = list(item.get("innovation_types") or [])
        bad = [t for t in types if t not in INNOVATION_TYPES]
        if bad:
            raise InputError(
                f"initiative {n}: unknown type(s) {bad}", hint=f"use: {', '.join(INNOVATION_TYPES)}"
            )
        place = item.get("communes") or []
        if isinstance(place, str):
            place = [p.strip() for p in place.split(",") if p.strip()]
        out.append(
            {
                "name": (name or "").strip() or None,
                "in_qpv": in_qpv,
                "innovation_types": [t for t in INNOVATION_TYPES if t in types],
                "communes": [str(p) for p in place],
            }
        )
    return out


def progress(session: Session, annotator: str) -> dict[str, int]:
    """How many documents the annotator labelled, and how many are still open to them."""
    counts: dict[str, set[str]] = defaultdict(set)
    for doc_id, who in session.execute(select(AnnotationRow.doc_id, AnnotationRow.annotator)):
        counts[doc_id].add(who)
    done = sum(1 for who in counts.values() if annotator in who)
    analysed = session.scalars(select(AnalysisRow.doc_id))
    remaining = 0
    for doc_id in analysed:
        who = counts.get(doc_id, set())
        if annotator not in who and ADJUDICATION not in who and len(who) < ANNOTATORS_PER_ITEM:
            remaining += 1
    return {"done": done, "remaining": remaining}


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


def commune_key(name: str) -> str:
    """A commune name without case, accents, hyphens or apostrophes ("Saint-Étienne" = "saint etienne")."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().casefold()
    return " ".join(re.sub(r"[-'’]", " ", plain).split())


def label_vector(labels: dict[str, Any]) -> dict[str, Any]:
    """The fields agreement and disagreements are measured on (communes as a normalised set)."""
    vec: dict[str, Any] = {"is_initiative": labels.get("is_initiative"), "in_qpv": labels.get("in_qpv")}
    for t in INNOVATION_TYPES:
        vec[f"type:{t}"] = t in (labels.get("innovation_types") or [])
    vec["doc_kind"] = labels.get("doc_kind")
    vec["communes"] = tuple(sorted({commune_key(c) for c in labels.get("communes") or []}))
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


def _given(vecs: Iterable[dict[str, Any]], field: str) -> list[Any]:
    """A field's values; doc_kind is optional (the labelling form lacks it): absent ones are left out."""
    values = [v.get(field) for v in vecs]
    return [x for x in values if x is not None] if field == "doc_kind" else values


def agreement_report(session: Session) -> dict[str, Any]:
    """Fleiss' kappa per field, Cohen's kappa per annotator pair, and how many items overlap."""
    by_doc = _human_annotations(session)
    shared = {d: v for d, v in by_doc.items() if len(v) >= 2}
    fields = ["is_initiative", "in_qpv"] + [f"type:{t}" for t in INNOVATION_TYPES] + ["doc_kind"]
    fleiss = {f: fleiss_kappa([_given(v.values(), f) for v in shared.values()]) for f in fields}
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
    out: list[dict[str, Any]] = []
    for doc_id, vecs in sorted(_human_annotations(session).items()):
        if len(vecs) < 2 or doc_id in adjudicated:
            continue
        fields = sorted(
            {f for v in vecs.values() for f in v if len({str(x) for x in _given(vecs.values(), f)}) > 1}
        )
        if fields:
            out.append({"doc_id": doc_id, "fields": fields, "annotators": sorted(vecs)})
    titles = dict(
        session.execute(select(PageRow.id, PageRow.title).where(PageRow.id.in_([d["doc_id"] for d in out])))
        .tuples()
        .all()
    )
    for dispute in out:
        dispute["title"] = titles.get(str(dispute["doc_id"]))
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
