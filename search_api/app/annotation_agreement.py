"""Agreement of two annotators field by field: Cohen's kappa, raw agreement and F1 (first as reference)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.domain import INNOVATION_TYPES
from search_api.app.annotation import cohen_kappa, commune_key
from search_api.app.annotation_import import labels_by_doc

Labels = dict[str, Any]


@dataclass
class FieldAgreement:
    """One row of the agreement table."""

    field: str
    items: int
    kappa: float | None
    agreement: float | None
    f1: float | None = None


def _f1(tp: int, fp: int, fn: int) -> float | None:
    return round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else None


def _binary_f1(ref: Sequence[bool], other: Sequence[bool]) -> float | None:
    pairs = list(zip(ref, other, strict=True))
    tp = sum(a and b for a, b in pairs)
    return _f1(tp, sum(b and not a for a, b in pairs), sum(a and not b for a, b in pairs))


def _row(name: str, a: Sequence[Any], b: Sequence[Any], f1: float | None = None) -> FieldAgreement:
    agree = round(sum(x == y for x, y in zip(a, b, strict=True)) / len(a), 4) if a else None
    return FieldAgreement(name, len(a), cohen_kappa(list(a), list(b)), agree, f1)


def _communes(labels: Labels) -> set[str]:
    return {commune_key(c) for c in labels.get("communes") or []}


def commune_f1(first: Sequence[Labels], second: Sequence[Labels]) -> float | None:
    """Micro F1 between the two annotators' commune sets (names compared normalised)."""
    tp = fp = fn = 0
    for a, b in zip(first, second, strict=True):
        ca, cb = _communes(a), _communes(b)
        tp, fp, fn = tp + len(ca & cb), fp + len(cb - ca), fn + len(ca - cb)
    return _f1(tp, fp, fn)


Pairs = Sequence[tuple[Labels, Labels]]


def _values(items: Pairs, get: Callable[[Labels], Any]) -> tuple[list[Any], list[Any]]:
    return [get(a) for a, _ in items], [get(b) for _, b in items]


def _has_type(name: str) -> Callable[[Labels], bool]:
    return lambda labels: name in (labels.get("innovation_types") or [])


def pair_agreement(first: dict[str, Labels], second: dict[str, Labels]) -> list[FieldAgreement]:
    """Per-field agreement over the documents both annotators labelled (``first`` is the F1 reference)."""
    shared = sorted(set(first) & set(second))
    both = [(first[d], second[d]) for d in shared]
    inits = [(a, b) for a, b in both if a.get("is_initiative") and b.get("is_initiative")]
    a_init, b_init = _values(both, lambda x: bool(x.get("is_initiative")))
    rows = [_row("is_initiative", a_init, b_init, _binary_f1(a_init, b_init))]
    rows.append(_row("in_qpv (3-way, all texts)", *_values(both, lambda x: str(x.get("in_qpv")))))
    a_iq, b_iq = _values(both, lambda x: bool(x.get("is_initiative")) and x.get("in_qpv") is True)
    rows.append(_row("initiative in a QPV (yes/no, all texts)", a_iq, b_iq, _binary_f1(a_iq, b_iq)))
    rows.append(_row("in_qpv (3-way, both initiatives)", *_values(inits, lambda x: str(x.get("in_qpv")))))
    rows.append(_row("doc_kind", *_values(both, lambda x: str(x.get("doc_kind")))))
    tp = fp = fn = 0
    macro: list[float] = []
    for t in INNOVATION_TYPES:
        a_t, b_t = _values(inits, _has_type(t))
        row = _row(f"type {t} (both initiatives)", a_t, b_t, _binary_f1(a_t, b_t))
        rows.append(row)
        macro += [row.f1] if row.f1 is not None else []
        tp += sum(x and y for x, y in zip(a_t, b_t, strict=True))
        fp += sum(y and not x for x, y in zip(a_t, b_t, strict=True))
        fn += sum(x and not y for x, y in zip(a_t, b_t, strict=True))
    rows.append(FieldAgreement("types micro-F1 (both initiatives)", len(inits), None, None, _f1(tp, fp, fn)))
    macro_f1 = round(sum(macro) / len(macro), 4) if macro else None
    rows.append(FieldAgreement("types macro-F1 (both initiatives)", len(inits), None, None, macro_f1))
    for name, items in (("communes F1 (all texts)", both), ("communes F1 (both initiatives)", inits)):
        firsts, seconds = [a for a, _ in items], [b for _, b in items]
        exact = [_communes(a) == _communes(b) for a, b in items]
        agree = round(sum(exact) / len(exact), 4) if exact else None
        rows.append(FieldAgreement(name, len(items), None, agree, commune_f1(firsts, seconds)))
    return rows


def pair_agreement_in_db(session: Session, first: str, second: str) -> list[FieldAgreement]:
    """``pair_agreement`` of two annotators' stored labels."""
    return pair_agreement(labels_by_doc(session, first), labels_by_doc(session, second))


def as_dicts(rows: Sequence[FieldAgreement]) -> list[dict[str, Any]]:
    """JSON-able rows."""
    return [asdict(r) for r in rows]


def as_markdown(rows: Sequence[FieldAgreement]) -> str:
    """The agreement table in Markdown."""

    def fmt(v: float | None) -> str:
        return "–" if v is None else f"{v:.3f}"

    lines = ["| field | texts | Cohen's κ | raw agreement | F1 (first as reference) |"]
    lines.append("|---|---|---|---|---|")
    lines += [f"| {r.field} | {r.items} | {fmt(r.kappa)} | {fmt(r.agreement)} | {fmt(r.f1)} |" for r in rows]
    return "\n".join(lines) + "\n"
