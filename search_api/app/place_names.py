"""French names of places from their codes: regions, departments, communes (INSEE) and QPVs.

Read from the official reference files of `VIGIE_REFERENCE_DIR` (the same CSVs `nlp.geo.reference` loads,
which `search_api` may not import), once per folder and cached. An unknown code, or no reference folder,
gives the code itself: a page never fails for want of a name.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)
PLACE_KINDS = ("region", "department", "commune", "qpv")
# kind -> (file, code column, name column)
SOURCES: dict[str, tuple[str, str, str]] = {
    "region": ("regions.csv", "reg_code", "reg_nom"),
    "department": ("departements.csv", "dep_code", "dep_nom"),
    "commune": ("communes.csv", "code_insee", "nom"),
    "qpv": ("qpv_2024.csv", "code_qp", "lib_qp"),
}


@dataclass(frozen=True)
class QpvPlace:
    """What the maps need of a QPV: its name, commune, department and centroid."""

    code: str
    name: str
    commune: str
    dep_code: str
    lat: float | None
    lon: float | None


@dataclass
class PlaceNames:
    """Code -> French name, per kind of place."""

    names: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in PLACE_KINDS})
    qpvs: dict[str, QpvPlace] = field(default_factory=dict)
    # casefolded commune name -> (name, lon, lat, department) of the most populous commune of that name
    communes_by_name: dict[str, tuple[str, float, float, str]] = field(default_factory=dict)

    def name(self, code: str | None, kind: str) -> str | None:
        """The French name of a code, None when unknown."""
        if not code:
            return None
        return self.names.get(kind, {}).get(str(code))


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _read(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        log.warning("place names unavailable file=%s error=%s", path, exc.__class__.__name__)
        return []


def _communes_by_name(rows: list[dict[str, str]]) -> dict[str, tuple[str, float, float, str]]:
    best: dict[str, tuple[int, tuple[str, float, float, str]]] = {}
    for row in rows:
        lat, lon = _float(row.get("lat")), _float(row.get("lon"))
        name = row.get("nom") or ""
        if lat is None or lon is None or not name:
            continue
        population = int(_float(row.get("population")) or 0)
        key = name.casefold()
        if key not in best or population > best[key][0]:
            best[key] = (population, (name, lon, lat, row.get("dep_code", "")))
    return {key: value for key, (_, value) in best.items()}


@lru_cache(maxsize=4)
def load_place_names(directory: Path | None) -> PlaceNames:
    """The names of every region, department, commune and QPV in a reference folder (cached per folder)."""
    places = PlaceNames()
    if directory is None or not directory.is_dir():
        return places
    for kind, (file_name, code_col, name_col) in SOURCES.items():
        rows = _read(directory / file_name)
        places.names[kind] = {r[code_col]: r[name_col] for r in rows if r.get(code_col) and r.get(name_col)}
        if kind == "commune":
            places.communes_by_name = _communes_by_name(rows)
        if kind == "qpv":
            places.qpvs = {
                r["code_qp"]: QpvPlace(
                    code=r["code_qp"],
                    name=r.get("lib_qp", ""),
                    commune=r.get("lib_com_cog2026") or r.get("lib_com", ""),
                    dep_code=r.get("dep_code", ""),
                    lat=_float(r.get("centroid_lat")),
                    lon=_float(r.get("centroid_lon")),
                )
                for r in rows
                if r.get("code_qp")
            }
    log.info("place names loaded directory=%s communes=%d", directory, len(places.names["commune"]))
    return places
