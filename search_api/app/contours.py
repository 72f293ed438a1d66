"""Outlines for the review map, drawn from the reference GeoJSON files (no tile server).

A QPV, its commune (simplified: the 2018 commune outlines are detailed) and the QPVs around it.
Files are read once, on first use, from ``VIGIE_REFERENCE_DIR``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from core.errors import ReferenceDataError

QPV_CONTOURS = "qpv_2024_contours.geojson"
COMMUNE_CONTOURS = "communes_2018_contours.geojson"
SIMPLIFY_DEGREES = 0.0005  # about 50 m: plenty for a 220 px map
NEIGHBOUR_MARGIN = 0.02  # degrees around the QPV and its commune (about 2 km)
MAX_NEIGHBOURS = 40

BBox = tuple[float, float, float, float]


def _points(geometry: dict[str, Any]) -> list[list[float]]:
    coords = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        return [p for ring in coords for p in ring]
    if geometry.get("type") == "MultiPolygon":
        return [p for poly in coords for ring in poly for p in ring]
    return []


def bbox_of(geometry: dict[str, Any]) -> BBox | None:
    """(west, south, east, north) of a polygon geometry, or None when empty."""
    pts = _points(geometry)
    if not pts:
        return None
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def _overlap(a: BBox, b: BBox, margin: float = 0.0) -> bool:
    return a[0] - margin <= b[2] and b[0] <= a[2] + margin and a[1] - margin <= b[3] and b[1] <= a[3] + margin


def simplify_ring(ring: list[list[float]], tolerance: float = SIMPLIFY_DEGREES) -> list[list[float]]:
    """Drop the points closer than ``tolerance`` to the last kept one; the ring stays closed (>= 4 points)."""
    if len(ring) <= 4:
        return ring
    kept = [ring[0]]
    for point in ring[1:-1]:
        last = kept[-1]
        if abs(point[0] - last[0]) > tolerance or abs(point[1] - last[1]) > tolerance:
            kept.append(point)
    kept.append(ring[-1])
    return kept if len(kept) >= 4 else ring


def simplify(geometry: dict[str, Any], tolerance: float = SIMPLIFY_DEGREES) -> dict[str, Any]:
    """A lighter copy of a Polygon or MultiPolygon."""
    coords = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        coords = [simplify_ring(r, tolerance) for r in coords]
    elif geometry.get("type") == "MultiPolygon":
        coords = [[simplify_ring(r, tolerance) for r in poly] for poly in coords]
    return {"type": geometry.get("type"), "coordinates": coords}


class ContourStore:
    """QPV and commune outlines by code, read lazily from the reference folder."""

    def __init__(self, reference_dir: Path) -> None:
        self.reference_dir = Path(reference_dir)
        self._lock = threading.Lock()
        self._qpvs: dict[str, tuple[dict[str, Any], BBox | None]] | None = None
        self._communes: dict[str, dict[str, Any]] | None = None

    def read(self, name: str) -> list[dict[str, Any]]:
        """The features of one GeoJSON file of the reference folder."""
        path = self.reference_dir / name
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReferenceDataError(
                f"cannot read outlines {path}: {exc}", hint="check VIGIE_REFERENCE_DIR"
            ) from exc
        return [f for f in data.get("features") or [] if isinstance(f, dict)]

    def _qpv_index(self) -> dict[str, tuple[dict[str, Any], BBox | None]]:
        with self._lock:
            if self._qpvs is None:
                self._qpvs = {
                    str(f["properties"].get("code_qp")): (f, bbox_of(f.get("geometry") or {}))
                    for f in self.read(QPV_CONTOURS)
                }
            return self._qpvs

    def _commune_index(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            if self._communes is None:
                self._communes = {str(f["properties"].get("code")): f for f in self.read(COMMUNE_CONTOURS)}
            return self._communes

    def qpv(self, code: str) -> dict[str, Any] | None:
        """The QPV's outline as a GeoJSON feature (properties as in the reference file)."""
        found = self._qpv_index().get(code)
        return found[0] if found else None

    def commune(self, insees: list[str]) -> dict[str, Any] | None:
        """The first known outline among the codes (a commune, then its parent city), simplified."""
        index = self._commune_index()
        for code in insees:
            feature = index.get(code)
            if feature is not None:
                props = {"code": code, "nom": feature["properties"].get("nom")}
                return {"type": "Feature", "properties": props, "geometry": simplify(feature["geometry"])}
        return None

    def neighbours(self, code: str | None, around: BBox | None) -> list[dict[str, Any]]:
        """QPVs near a box (the QPV's and its commune's), the QPV itself excluded."""
        if around is None:
            return []
        near = [
            f
            for other, (f, box) in self._qpv_index().items()
            if other != code and box is not None and _overlap(around, box, NEIGHBOUR_MARGIN)
        ]
        return near[:MAX_NEIGHBOURS]

    def review_map(self, qpv_code: str | None, commune_codes: list[str]) -> dict[str, Any]:
        """Everything the review map draws: the commune, the QPV, its neighbours (each may be missing)."""
        qpv = self.qpv(qpv_code) if qpv_code else None
        commune = self.commune(commune_codes) if commune_codes else None
        boxes = [bbox_of(f["geometry"]) for f in (qpv, commune) if f is not None]
        known = [b for b in boxes if b is not None]
        around: BBox | None = None
        if known:
            around = (
                min(b[0] for b in known),
                min(b[1] for b in known),
                max(b[2] for b in known),
                max(b[3] for b in known),
            )
        return {
            "qpv": qpv,
            "commune": commune,
            "neighbours": {"type": "FeatureCollection", "features": self.neighbours(qpv_code, around)},
        }
