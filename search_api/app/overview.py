"""The home dashboard's figures: detections and validations per month, per department, per type; map points.

Computed from the review service's items (values after corrections), so the dashboard, the queue and the
catalogue agree. A detection is an analysed page the model (or a reviewer's correction) calls an initiative.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from core.domain import INNOVATION_TYPES
from search_api.app import review
from search_api.app.place_names import PlaceNames

MAX_ITEMS = 100_000
MONTHS_SHOWN = 12


@dataclass
class Overview:
    """Counts for the dashboard."""

    analysed: int = 0
    detections: int = 0
    validated: int = 0
    rejected: int = 0
    pending: int = 0
    months: list[tuple[str, int, int]] = field(default_factory=list)  # (YYYY-MM, detected, validated)
    by_department: dict[str, tuple[int, int]] = field(default_factory=dict)  # code -> (detected, validated)
    by_type: list[tuple[str, int, int]] = field(default_factory=list)  # (type, detected, validated)
    undated: int = 0


@dataclass(frozen=True)
class MapPoint:
    """A validated initiative on the catalogue map: at its QPV's centroid, else its commune's."""

    doc_id: str
    title: str
    lon: float
    lat: float
    place: str
    dep_code: str
    url: str | None = None


def _departments(item: review.Item, places: PlaceNames) -> list[str]:
    qpv = places.qpvs.get(str(item.values.get("qpv_code") or ""))
    if qpv is not None and qpv.dep_code:  # a corrected QPV moves the detection
        return [qpv.dep_code]
    return [str(code) for code in item.analysis.get("department_codes") or []]


def is_detection(item: review.Item) -> bool:
    """Whether the item counts as a detection (the model's call, or the reviewer's, or a validation)."""
    return bool(item.values.get("is_initiative")) or item.status == "validated"


def make_overview(session: Session, places: PlaceNames) -> Overview:
    """Every figure of the dashboard in one pass over the analysed documents."""
    items = review.list_items(session, review.QueueFilters(status=None, limit=MAX_ITEMS))
    out = Overview(analysed=len(items))
    months: dict[str, Counter[str]] = {}
    departments: dict[str, Counter[str]] = {}
    types: dict[str, Counter[str]] = {t: Counter() for t in INNOVATION_TYPES}
    for item in items:
        if not is_detection(item):
            continue
        out.detections += 1
        validated = item.status == "validated"
        out.validated += validated
        out.rejected += item.status == "rejected"
        out.pending += item.status not in ("validated", "rejected")
        keys = ["detected", "validated"] if validated else ["detected"]
        month = (item.date or "")[:7]
        if len(month) == 7 and month[4] == "-":
            months.setdefault(month, Counter()).update(keys)
        else:
            out.undated += 1
        for code in _departments(item, places):
            departments.setdefault(code, Counter()).update(keys)
        for kind in item.values.get("innovation_types") or []:
            types.setdefault(str(kind), Counter()).update(keys)
    out.months = [(m, c["detected"], c["validated"]) for m, c in sorted(months.items())][-MONTHS_SHOWN:]
    out.by_department = {code: (c["detected"], c["validated"]) for code, c in departments.items()}
    out.by_type = sorted(((t, c["detected"], c["validated"]) for t, c in types.items()), key=lambda r: -r[1])
    return out


def catalogue_points(items: list[review.Item], places: PlaceNames) -> list[MapPoint]:
    """Validated items placed at their QPV's centroid, else at their commune's coordinates (by name)."""
    points = []
    for item in items:
        qpv = places.qpvs.get(str(item.values.get("qpv_code") or ""))
        title = item.values.get("name") or item.title or item.doc_id
        if qpv is not None and qpv.lat is not None and qpv.lon is not None:
            points.append(MapPoint(item.doc_id, str(title), qpv.lon, qpv.lat, f"{qpv.name} ({qpv.commune})",
                                   qpv.dep_code, item.url))  # fmt: skip
            continue
        commune = places.communes_by_name.get(str(item.values.get("commune") or "").casefold())
        if commune is not None:
            name, lon, lat, dep = commune
            points.append(MapPoint(item.doc_id, str(title), lon, lat, name, dep, item.url))
    return points


CHART_W, CHART_H, CHART_PAD = 600, 220, 28
SHADES = ("#e8ebf7", "#c5cbef", "#9aa5e4", "#6a77d6", "#3b4bc0", "#000091")


def month_bars(months: list[tuple[str, int, int]]) -> dict[str, object]:
    """Geometry of the per-month bar chart (detected and validated side by side), in SVG units."""
    top = max([d for _, d, _ in months] + [1])
    slot = (CHART_W - CHART_PAD) / max(len(months), 1)
    bars = []
    for n, (month, detected, validated) in enumerate(months):
        x = CHART_PAD + n * slot
        for offset, value, css in ((0.1, detected, "bar-detected"), (0.5, validated, "bar-validated")):
            height = (CHART_H - 2 * CHART_PAD) * value / top
            bars.append({"x": round(x + offset * slot, 1), "w": round(0.4 * slot, 1),
                         "y": round(CHART_H - CHART_PAD - height, 1), "h": round(height, 1),
                         "css": css, "value": value, "month": month})  # fmt: skip
    labels = [{"x": round(CHART_PAD + (n + 0.5) * slot, 1), "month": m} for n, (m, _, _) in enumerate(months)]
    return {"bars": bars, "labels": labels, "top": top, "width": CHART_W, "height": CHART_H, "pad": CHART_PAD}


def shade_of(count: int, top: int) -> str:
    """The choropleth colour of a department: six classes from none to the busiest department."""
    if count <= 0 or top <= 0:
        return SHADES[0]
    classes = len(SHADES) - 2  # 1..classes by share of the top, the top itself in the darkest
    return SHADES[1 + min(classes, int(classes * count / top))]
