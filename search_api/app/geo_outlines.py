"""Department outlines for the overview maps: read once from the reference folder, simplified, as SVG paths.

No tile server: the maps are inline SVG drawn from `departements_contours.geojson` (metropolitan France).
The geometry is simplified (about 3 km) and projected once per reference folder, then cached in memory; the
same simplified outlines are served as GeoJSON at `/api/geo/departements` with a long cache lifetime.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
DEPARTMENTS_FILE = "departements_contours.geojson"
TOLERANCE_DEG = 0.03  # about 3 km: outlines stay recognisable, the page stays small
WIDTH = 600.0
COS_LAT = math.cos(math.radians(46.5))  # equirectangular projection centred on France


@dataclass
class Outlines:
    """Projected SVG paths per department code, the view box and the projection of a point."""

    paths: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    geojson: dict[str, Any] = field(default_factory=lambda: {"type": "FeatureCollection", "features": []})
    bounds: tuple[float, float, float, float] = (-5.5, 41.2, 9.8, 51.2)  # lon/lat of metropolitan France
    height: float = 0.0

    def __post_init__(self) -> None:
        min_lon, min_lat, max_lon, max_lat = self.bounds
        self.scale = WIDTH / ((max_lon - min_lon) * COS_LAT)
        self.height = round((max_lat - min_lat) * self.scale, 1)

    @property
    def viewbox(self) -> str:
        return f"0 0 {WIDTH:.0f} {self.height:.0f}"

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """SVG coordinates of a point (lon, lat in degrees)."""
        min_lon, _, _, max_lat = self.bounds
        return round((lon - min_lon) * COS_LAT * self.scale, 1), round((max_lat - lat) * self.scale, 1)

    def inside(self, lon: float, lat: float) -> bool:
        """Whether a point falls in the drawn area (overseas QPVs are listed, not drawn)."""
        min_lon, min_lat, max_lon, max_lat = self.bounds
        return min_lon <= lon <= max_lon and min_lat <= lat <= max_lat


def _ring_path(ring: Any, outlines: Outlines) -> str:
    points = [outlines.project(float(x), float(y)) for x, y, *_ in ring]
    return "M" + "L".join(f"{x:.0f},{y:.0f}" for x, y in points) + "Z"


@lru_cache(maxsize=2)
def load_outlines(directory: Path | None) -> Outlines:
    """The simplified department outlines of a reference folder (empty when the file is missing)."""
    from shapely import set_precision
    from shapely.geometry import mapping, shape

    outlines = Outlines()
    path = directory / DEPARTMENTS_FILE if directory else None
    if path is None or not path.is_file():
        log.warning("no department outlines file=%s", path)
        return outlines
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("department outlines unreadable file=%s error=%s", path, exc.__class__.__name__)
        return outlines
    for feature in data.get("features") or []:
        props = feature.get("properties") or {}
        code = str(props.get("code") or "")
        if not code or not feature.get("geometry"):
            continue
        geometry = set_precision(
            shape(feature["geometry"]).simplify(TOLERANCE_DEG, preserve_topology=True), 0.001
        )
        polygons = [geometry] if geometry.geom_type == "Polygon" else list(getattr(geometry, "geoms", []))
        outlines.paths[code] = "".join(_ring_path(p.exterior.coords, outlines) for p in polygons)
        outlines.names[code] = str(props.get("nom") or code)
        outlines.geojson["features"].append(
            {"type": "Feature", "properties": {"code": code, "nom": outlines.names[code]},
             "geometry": mapping(geometry)}
        )  # fmt: skip
    log.info("department outlines loaded departments=%d", len(outlines.paths))
    return outlines
