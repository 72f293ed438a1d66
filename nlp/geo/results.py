"""What the linker returns: QPV and commune links with confidence and evidence, per text."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.domain import CommuneRef, QpvRef
from nlp.geo.normalise import name_key

# links at least this sure are what the analysis reports (lower ones stay available for search facets)
REPORT_THRESHOLD = 0.5


@dataclass
class ForeignPlaceLink:
    """A foreign town a foreign text talks about (no INSEE code, never in a QPV)."""

    name: str
    country: str
    confidence: float
    evidence: str
    start: int
    end: int

    @property
    def place_id(self) -> str:
        """Country and folded name ("BE:molenbeek saint jean"): what evaluations compare."""
        return f"{self.country}:{name_key(self.name)}"


@dataclass
class QpvLink:
    """A QPV the text talks about."""

    code: str
    name: str
    commune: str
    insee: str
    confidence: float
    evidence: str
    start: int
    end: int


@dataclass
class CommuneLink:
    """A commune the text talks about (``arrondissement`` set for Paris/Lyon/Marseille when known)."""

    insee: str
    name: str
    dep_code: str
    reg_code: str
    confidence: float
    evidence: str
    start: int
    end: int
    arrondissement: str | None = None


@dataclass
class PointLink:
    """A point given by the text (coordinates, or a geocoded address) tested against the QPV polygons."""

    lat: float
    lon: float
    qpv_code: str | None  # the QPV containing the point
    distance_m: float | None  # to the nearest QPV (0 inside); None when the point is only a town centroid
    precision: str  # coordinates, housenumber, street, locality or municipality
    evidence: str
    start: int
    end: int


@dataclass
class GeoResult:
    """Places of one text, each list ordered by decreasing confidence."""

    qpvs: list[QpvLink] = field(default_factory=list)
    communes: list[CommuneLink] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    points: list[PointLink] = field(default_factory=list)
    foreign: bool = False
    foreign_places: list[ForeignPlaceLink] = field(default_factory=list)  # towns abroad, foreign texts only
    in_qpv: bool | None = None
    in_qpv_reason: str = ""

    def qpv_refs(self, min_confidence: float = REPORT_THRESHOLD) -> list[QpvRef]:
        """The QPVs for ``Analysis.qpv`` (domain objects), most confident first."""
        return [
            QpvRef(q.code, q.name, q.commune, q.insee) for q in self.qpvs if q.confidence >= min_confidence
        ]

    def commune_refs(self, min_confidence: float = REPORT_THRESHOLD) -> list[CommuneRef]:
        """The communes for ``Analysis.communes`` (domain objects), most confident first."""
        return [CommuneRef(c.insee, c.name) for c in self.communes if c.confidence >= min_confidence]
