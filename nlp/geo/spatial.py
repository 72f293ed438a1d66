"""QPV polygons in a spatial index: which QPV contains a point, and how far is the nearest one."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, shape
from shapely.strtree import STRtree

from core.errors import InputError, ReferenceDataError
from nlp.geo.reference import CONTOURS_FILE, FIX_HINT

logger = logging.getLogger(__name__)

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0
_SEARCH_DEG = 0.05  # about 5 km: polygons looked at before falling back to the global nearest


class QpvPolygonIndex:
    """An STRtree over the QPV 2024 contours (WGS84)."""

    def __init__(self, codes: list[str], geometries: list[Any]) -> None:
        if not codes:
            raise ReferenceDataError("no QPV contour to index", hint=FIX_HINT)
        self.codes = codes
        self.geometries = np.array(geometries, dtype=object)
        self.tree = STRtree(self.geometries)

    @classmethod
    def from_reference_dir(cls, directory: Path) -> QpvPolygonIndex:
        """Read ``qpv_2024_contours.geojson`` and check every feature has a code and a polygon."""
        path = Path(directory) / CONTOURS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ReferenceDataError(f"reference file missing: {path}", hint=FIX_HINT) from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReferenceDataError(f"{path} is not valid GeoJSON: {exc}", hint=FIX_HINT) from exc
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise ReferenceDataError(f"{path} is not a GeoJSON FeatureCollection", hint=FIX_HINT)
        codes, geometries = [], []
        for number, feature in enumerate(data.get("features") or []):
            code, geometry = _parse_feature(path, number, feature)
            codes.append(code)
            geometries.append(geometry)
        logger.info("qpv contours loaded file=%s polygons=%d", path, len(codes))
        return cls(codes, geometries)

    def locate(self, lat: float, lon: float) -> tuple[str | None, float]:
        """(code of the QPV containing the point or None, distance in metres to the nearest QPV)."""
        code, distance = self.nearest(lat, lon)
        return (code if distance == 0.0 else None), distance

    def nearest(self, lat: float, lon: float) -> tuple[str, float]:
        """The nearest QPV and its distance in metres (0 inside): for measures that apply within 300 m."""
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or math.isnan(lat) or math.isnan(lon):
            raise InputError(f"invalid coordinates lat={lat} lon={lon}", hint="give WGS84 degrees, lat first")
        point = Point(lon, lat)
        inside = self.tree.query(point, predicate="intersects")
        if len(inside):
            return self.codes[int(inside[0])], 0.0
        near = self.tree.query(point.buffer(_SEARCH_DEG))
        if not len(near):
            near = np.array([self.tree.nearest(point)])
        distance, index = min((_metres(self.geometries[int(i)], lat, lon), int(i)) for i in near)
        return self.codes[index], round(float(distance), 1)


def _parse_feature(path: Path, number: int, feature: Any) -> tuple[str, Any]:
    props = feature.get("properties") or {} if isinstance(feature, dict) else {}
    code = props.get("code_qp")
    if not isinstance(code, str) or not code.startswith("QN"):
        raise ReferenceDataError(f"{path}: feature {number} has no QPV code (code_qp)", hint=FIX_HINT)
    try:
        geometry = shape(feature["geometry"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReferenceDataError(f"{path}: feature {code} has a bad geometry: {exc}", hint=FIX_HINT) from exc
    if geometry.geom_type not in ("Polygon", "MultiPolygon") or geometry.is_empty:
        raise ReferenceDataError(
            f"{path}: feature {code} is a {geometry.geom_type}, not a polygon", hint=FIX_HINT
        )
    return code, geometry


def _metres(geometry: Any, lat: float, lon: float) -> float:
    """Distance from (lat, lon) to ``geometry`` in a local equirectangular projection (good to ~0.5 %)."""
    kx = _M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat))

    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(((coords[:, 0] - lon) * kx, (coords[:, 1] - lat) * _M_PER_DEG_LAT))

    return float(shapely.distance(shapely.transform(geometry, project), Point(0.0, 0.0)))
