"""Load the official reference files (QPV 2024, communes, departments...) with schema checks."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import ReferenceDataError

logger = logging.getLogger(__name__)

# file name -> columns that must be present (others are ignored)
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "qpv_2024.csv": ("code_qp", "lib_qp", "insee_com_cog2026", "lib_com_cog2026", "dep_code", "reg_code"),
    "communes.csv": (
        "code_insee",
        "nom",
        "type",
        "commune_parente",
        "dep_code",
        "reg_code",
        "codes_postaux",
        "population",
        "lat",
        "lon",
    ),
    "communes_deleguees_associees.csv": ("code_insee", "nom", "chef_lieu_insee"),
    "departements.csv": ("dep_code", "dep_nom", "reg_code"),
    "regions.csv": ("reg_code", "reg_nom"),
}
CONTOURS_FILE = "qpv_2024_contours.geojson"
FIX_HINT = "run `vigie reference fetch` or point VIGIE_REFERENCE_DIR at a folder with the official files"


@dataclass(slots=True)
class Commune:
    """A current commune or a municipal arrondissement of Paris, Lyon or Marseille."""

    insee: str
    name: str
    dep_code: str
    reg_code: str
    population: int
    lat: float | None
    lon: float | None
    postal_codes: tuple[str, ...] = ()
    parent: str | None = None  # for arrondissements: 75056, 69123 or 13055


@dataclass(slots=True)
class Qpv:
    """A QPV of the 2024 generation with its host communes (COG 2026)."""

    code: str
    name: str
    insees: tuple[str, ...]
    dep_code: str
    reg_code: str


@dataclass
class ReferenceData:
    """Everything the linker needs, keyed by code."""

    communes: dict[str, Commune]
    qpvs: dict[str, Qpv]
    former_communes: dict[str, str]  # former commune name -> current INSEE code
    departments: dict[str, tuple[str, str]]  # dep code -> (name, region code)
    regions: dict[str, str]  # region code -> name
    directory: Path
    postal_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # postal code -> INSEE codes
    _qpvs_by_commune: dict[str, list[Qpv]] = field(default_factory=dict, repr=False)

    def qpvs_of_commune(self, insee: str) -> list[Qpv]:
        """QPVs hosted (in whole or part) by a commune."""
        if not self._qpvs_by_commune:
            for qpv in self.qpvs.values():
                for code in qpv.insees:
                    self._qpvs_by_commune.setdefault(code, []).append(qpv)
        return self._qpvs_by_commune.get(insee, [])


def iter_rows(directory: Path, name: str) -> Iterator[dict[str, str]]:
    """Yield the rows of one reference CSV after checking that its header has the required columns."""
    path = directory / name
    if not path.is_file():
        raise ReferenceDataError(f"reference file missing: {path}", hint=FIX_HINT)
    required = REQUIRED_COLUMNS[name]
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            missing = [col for col in required if col not in header]
            if missing:
                raise ReferenceDataError(
                    f"{path}: columns {missing} missing (found {header[:8]})",
                    hint=f"the file is not the expected official export; {FIX_HINT}",
                )
            width = len(header)
            for line, row in enumerate(reader, start=2):
                if len(row) != width:
                    raise ReferenceDataError(
                        f"{path}:{line}: wrong number of cells ({len(row)} instead of {width})",
                        hint=f"repair or re-download the file; {FIX_HINT}",
                    )
                yield dict(zip(header, row, strict=True))
    except UnicodeDecodeError as exc:
        raise ReferenceDataError(f"{path} is not UTF-8: {exc}", hint=FIX_HINT) from exc
    except csv.Error as exc:
        raise ReferenceDataError(f"{path} is not a valid CSV file: {exc}", hint=FIX_HINT) from exc


def _to_float(value: str, where: str) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise ReferenceDataError(f"{where}: {value!r} is not a number", hint=FIX_HINT) from exc


def _load_communes(directory: Path) -> tuple[dict[str, Commune], dict[str, tuple[str, ...]]]:
    communes: dict[str, Commune] = {}
    postal: dict[str, list[str]] = {}
    for row in iter_rows(directory, "communes.csv"):
        insee = row["code_insee"]
        where = f"communes.csv {insee}"
        codes = tuple(c for c in row["codes_postaux"].split("|") if c)
        communes[insee] = Commune(
            insee=insee,
            name=row["nom"],
            dep_code=row["dep_code"],
            reg_code=row["reg_code"],
            population=int(_to_float(row["population"], where) or 0),
            lat=_to_float(row["lat"], where),
            lon=_to_float(row["lon"], where),
            postal_codes=codes,
            parent=row["commune_parente"] or None,
        )
        for code in codes:
            postal.setdefault(code, []).append(insee)
    if not communes:
        raise ReferenceDataError(f"{directory / 'communes.csv'} has no rows", hint=FIX_HINT)
    return communes, {code: tuple(v) for code, v in postal.items()}


def _load_qpvs(directory: Path, communes: dict[str, Commune]) -> dict[str, Qpv]:
    qpvs: dict[str, Qpv] = {}
    for row in iter_rows(directory, "qpv_2024.csv"):
        code = row["code_qp"]
        if not code.startswith("QN"):
            raise ReferenceDataError(f"qpv_2024.csv: bad QPV code {code!r} (expected QN...)", hint=FIX_HINT)
        insees = tuple(dict.fromkeys(c for c in row["insee_com_cog2026"].split("|") if c))
        unknown = [c for c in insees if c not in communes]
        if unknown:
            logger.warning("qpv commune unknown code=%s insee=%s", code, unknown)
        qpvs[code] = Qpv(code, row["lib_qp"].strip(), insees, row["dep_code"], row["reg_code"])
    if not qpvs:
        raise ReferenceDataError(f"{directory / 'qpv_2024.csv'} has no rows", hint=FIX_HINT)
    return qpvs


def load_reference(directory: Path) -> ReferenceData:
    """Read and check every reference file of ``directory``; raise ``ReferenceDataError`` on a bad one."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ReferenceDataError(f"reference folder not found: {directory}", hint=FIX_HINT)
    communes, postal = _load_communes(directory)
    qpvs = _load_qpvs(directory, communes)
    former = {
        row["nom"]: row["chef_lieu_insee"]
        for row in iter_rows(directory, "communes_deleguees_associees.csv")
        if row["chef_lieu_insee"] in communes
    }
    departments = {
        row["dep_code"]: (row["dep_nom"], row["reg_code"]) for row in iter_rows(directory, "departements.csv")
    }
    regions = {row["reg_code"]: row["reg_nom"] for row in iter_rows(directory, "regions.csv")}
    logger.info("reference loaded dir=%s communes=%d qpvs=%d", directory, len(communes), len(qpvs))
    return ReferenceData(communes, qpvs, former, departments, regions, directory, postal)
