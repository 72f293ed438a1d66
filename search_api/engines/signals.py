"""Analysis signals of an indexed document, and the ranking features a query draws from them.

Only what Vigie's analysis computed from the text (initiative score, in-QPV decision, type scores,
document kind, places) is read here, from the stored source both backends return alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search_api.engines.understanding import QueryUnderstanding

# How much a place of each kind says when the query's place of that kind matches the document's.
PLACE_WEIGHTS: dict[str, float] = {
    "qpv": 1.0,
    "commune": 1.0,
    "department": 0.6,
    "region": 0.3,
    "abroad": 1.0,
}
SIGNAL_FEATURES: tuple[str, ...] = ("place", "qpv", "initiative", "kind", "type", "prior")
# How much the analysis' in-QPV decision says a document lies in a priority neighbourhood.
IN_QPV_VALUES: dict[str, float] = {"true": 1.0, "unknown": 0.5}
# Place kinds stored as keyword fields of a document (places abroad live in its summary).
STORED_PLACE_KINDS: tuple[str, ...] = ("qpv", "commune", "department", "region")


@dataclass(frozen=True)
class DocSignals:
    """What the analysis says about a document, as ranking reads it."""

    initiative_score: float = 0.0
    in_qpv: str = "unknown"
    doc_kind: str = "other"
    type_scores: dict[str, float] = field(default_factory=dict)
    places: dict[str, frozenset[str]] = field(default_factory=dict)
    place_names: dict[str, str] = field(default_factory=dict)


def _first(values: Any, default: str) -> str:
    if isinstance(values, list) and values:
        return str(values[0])
    return str(values) if isinstance(values, str) and values else default


def _places_abroad(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in summary.get("places_abroad") or [] if isinstance(a, dict)]


def countries_abroad(summary: dict[str, Any]) -> frozenset[str]:
    """Country codes of the places abroad a document's summary names ("" when the country is unknown)."""
    return frozenset(str(a.get("country") or "") for a in _places_abroad(summary))


def type_scores_of(summary: dict[str, Any]) -> dict[str, float]:
    """Innovation type scores of a document's summary (empty when absent or malformed)."""
    scores = summary.get("type_scores") or {}
    return {str(k): float(v) for k, v in scores.items()} if isinstance(scores, dict) else {}


def signals_of(source: dict[str, Any]) -> DocSignals:
    """Signals from a stored source (`IndexDocument.to_source`)."""
    summary = source.get("summary") or {}
    places = {kind: frozenset(str(v) for v in source.get(kind) or []) for kind in STORED_PLACE_KINDS}
    abroad = _places_abroad(summary)
    places["abroad"] = countries_abroad(summary)
    names = {
        str(c.get("insee")): str(c.get("name")) for c in summary.get("communes") or [] if isinstance(c, dict)
    }
    names.update(
        {str(q.get("code")): str(q.get("name")) for q in summary.get("qpv") or [] if isinstance(q, dict)}
    )
    names.update({str(a.get("country") or ""): str(a.get("name")) for a in abroad})
    return DocSignals(
        initiative_score=float(source.get("initiative_score") or 0.0),
        in_qpv=_first(source.get("in_qpv"), "unknown"),
        doc_kind=_first(source.get("doc_kind"), "other"),
        type_scores=type_scores_of(summary),
        places=places,
        place_names=names,
    )


def place_match(query: QueryUnderstanding, signals: DocSignals) -> tuple[float, list[str]]:
    """Best weight of a query place the document also names, and the names matched at that weight."""
    matched: list[tuple[float, str]] = []
    for place in query.places:
        codes = signals.places.get(place.kind, frozenset())
        if place.code in codes if place.code else bool(codes):
            name = signals.place_names.get(place.code) or place.name
            matched.append((PLACE_WEIGHTS[place.kind], name))
    if not matched:
        return 0.0, []
    best = max(weight for weight, _ in matched)
    return best, list(dict.fromkeys(name for weight, name in matched if weight == best))


def initiative_prior(signals: DocSignals) -> float:
    """What Vigie looks for, whatever the query asks: an initiative in a priority neighbourhood (0..1).

    The mean of the initiative score and the in-QPV value; on the open analyst queries the documents
    judged to answer the query score higher on both than the others ranked near them (docs/search.md).
    """
    return (signals.initiative_score + IN_QPV_VALUES.get(signals.in_qpv, 0.0)) / 2


def signal_features(query: QueryUnderstanding, signals: DocSignals) -> dict[str, float]:
    """The features a query draws from a document's signals, each in 0..1 (0 when not asked for).

    ``prior`` does not depend on the query (`initiative_prior`).
    """
    qpv = IN_QPV_VALUES.get(signals.in_qpv, 0.0) if query.wants_qpv else 0.0
    types = [signals.type_scores.get(t, 0.0) for t in query.types]
    return {
        "place": place_match(query, signals)[0] if query.places else 0.0,
        "qpv": qpv,
        "initiative": signals.initiative_score if query.wants_initiatives else 0.0,
        "kind": 1.0 if signals.doc_kind in query.doc_kinds else 0.0,
        "type": max(types) if types else 0.0,
        "prior": initiative_prior(signals),
    }
