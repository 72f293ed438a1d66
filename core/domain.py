"""Domain dataclasses shared by every package: pages, analyses, initiatives, reviews, search."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from core.errors import InputError

INNOVATION_TYPES: tuple[str, ...] = ("sociale", "technologique", "territoriale", "marketing", "services")
DOC_KINDS: tuple[str, ...] = (
    "press",
    "association",
    "call_for_projects",
    "laureates_list",
    "institutional",
    "other",
)
SOURCE_KINDS: tuple[str, ...] = ("press", "association", "call_for_projects", "institutional")
REVIEW_STATUSES: tuple[str, ...] = ("pending", "validated", "rejected")
ROLES: tuple[str, ...] = ("admin", "reviewer", "annotator", "viewer")


@dataclass
class Page:
    """One crawled (or imported) document, cleaned."""

    id: str
    url: str | None
    canonical_url: str | None
    title: str | None
    text: str
    date: str | None = None
    author: str | None = None
    lang: str | None = None
    source: str | None = None
    kind: str | None = None
    fetched_at: datetime | None = None
    content_hash: str | None = None
    duplicate_of: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    js_rendered: bool = False
    title_source: str | None = None  # where the title came from: og:title, h1, title, trafilatura
    date_source: str | None = None  # where the date came from: meta, headline, htmldate

    def to_export(self) -> dict[str, Any]:
        """The `vigie pages export` line (docs/cli.md)."""
        return {
            "id": self.id,
            "url": self.url,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "title_source": self.title_source,
            "date": self.date,
            "date_source": self.date_source,
            "author": self.author,
            "lang": self.lang,
            "text": self.text,
            "source": self.source,
            "kind": self.kind,
            "fetched_at": self.fetched_at.isoformat() if self.fetched_at else None,
            "content_hash": self.content_hash,
            "duplicate_of": self.duplicate_of,
        }


@dataclass
class QpvRef:
    """A QPV named by an analysis."""

    code: str
    name: str
    commune: str
    insee: str


@dataclass
class CommuneRef:
    """A commune named by an analysis."""

    insee: str
    name: str


@dataclass
class PlaceAbroad:
    """A town outside France that a foreign text is about (no INSEE code, never in a QPV)."""

    name: str
    country: str  # ISO 3166-1 alpha-2 code ("BE", "CH", "CA", ...)


@dataclass
class Initiative:
    """One initiative found in a text, with the sentences that show it."""

    name: str | None
    carrier: str | None
    commune: str | None
    qpv_code: str | None
    evidence: list[str] = field(default_factory=list)


@dataclass
class Analysis:
    """The analysis of one text: the `vigie analyze` output contract (docs/cli.md)."""

    id: str
    is_initiative: bool
    initiative_score: float
    innovation_types: list[str]
    type_scores: dict[str, float]
    in_qpv: bool | None
    qpv: list[QpvRef]
    communes: list[CommuneRef]
    doc_kind: str
    initiatives: list[Initiative]
    lang: str | None = None
    department_codes: list[str] = field(default_factory=list)
    region_codes: list[str] = field(default_factory=list)
    places_abroad: list[PlaceAbroad] = field(default_factory=list)
    model_version: str | None = None
    warnings: list[str] = field(default_factory=list)
    # Why the text was not scored ("empty_text", "language=en"); None when it was analysed.
    skipped: str | None = None
    # The doc-kind model's probability per kind (empty when skipped, or in analyses made before they were
    # kept): `vigie analyze` reads them again with the site's other pages (`nlp.classifiers.host_kinds`).
    doc_kind_scores: dict[str, float] = field(default_factory=dict)

    def to_contract(self) -> dict[str, Any]:
        """The JSON object written per line by `vigie analyze` (extra keys are additive)."""
        return asdict(self)

    @classmethod
    def from_contract(cls, data: dict[str, Any]) -> Analysis:
        """Rebuild an analysis from a contract line."""
        return cls(
            id=str(data["id"]),
            is_initiative=bool(data["is_initiative"]),
            initiative_score=float(data.get("initiative_score", 0.0)),
            innovation_types=list(data.get("innovation_types", [])),
            type_scores={k: float(v) for k, v in (data.get("type_scores") or {}).items()},
            in_qpv=data.get("in_qpv"),
            qpv=[QpvRef(**q) for q in data.get("qpv", [])],
            communes=[CommuneRef(**c) for c in data.get("communes", [])],
            doc_kind=str(data.get("doc_kind", "other")),
            initiatives=[Initiative(**i) for i in data.get("initiatives", [])],
            lang=data.get("lang"),
            department_codes=list(data.get("department_codes", [])),
            region_codes=list(data.get("region_codes", [])),
            places_abroad=[PlaceAbroad(**a) for a in data.get("places_abroad", [])],
            model_version=data.get("model_version"),
            warnings=list(data.get("warnings", [])),
            skipped=data.get("skipped"),
            doc_kind_scores={k: float(v) for k, v in (data.get("doc_kind_scores") or {}).items()},
        )


@dataclass
class Review:
    """A reviewer's decision on a detection."""

    doc_id: str
    status: Literal["pending", "validated", "rejected"]
    reviewer: str | None = None
    reason: str | None = None
    corrections: dict[str, Any] = field(default_factory=dict)


@dataclass
class Annotation:
    """One annotator's labels for one text."""

    doc_id: str
    annotator: str
    is_initiative: bool | None
    in_qpv: bool | None = None
    innovation_types: list[str] = field(default_factory=list)
    communes: list[str] = field(default_factory=list)
    doc_kind: str | None = None


@dataclass
class SearchQuery:
    """A search request, engine-independent."""

    text: str = ""
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid"
    filters: dict[str, Any] = field(default_factory=dict)
    facets: list[str] = field(default_factory=list)
    sort: Literal["relevance", "date"] = "relevance"
    page: int = 1
    size: int = 10
    highlight: bool = True
    collapse_duplicates: bool = True


@dataclass
class SearchHit:
    """One ranked result."""

    id: str
    score: float
    title: str | None = None
    highlights: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    duplicates: int = 0
    # Why the hit is there: matched words, best passage, matched place, analysis signals (search.why).
    why: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchResult:
    """A page of ranked hits with facet counts."""

    hits: list[SearchHit]
    total: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelVersion:
    """One trained version of a task's model and its place in the promote/rollback history."""

    id: int
    task: str
    version: str
    path: str
    status: str  # candidate, promoted, retired, rolled_back
    metrics: dict[str, Any]
    created_at: datetime | None = None
    promoted_at: datetime | None = None


@dataclass
class TaskVersions:
    """A task's promoted version (if any) and every version, newest first."""

    promoted: ModelVersion | None = None
    versions: list[ModelVersion] = field(default_factory=list)


_VERSION_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def check_version_name(version: str) -> str:
    """A model version is a plain folder name (``v9``, ``2026-03-14.b``): never a path like ``../../x``."""
    if not _VERSION_NAME.fullmatch(version) or ".." in version:
        raise InputError(
            f"invalid model version name {version[:80]!r}",
            hint="use letters, digits, '.', '_' or '-' (1 to 64, starting with a letter or digit, no '..')",
        )
    return version


@dataclass(frozen=True)
class TrainOptions:
    """How to train new model versions: `vigie train`'s flags; the web app trains with the defaults.

    ``record`` says how the new versions enter the model table: ``"report"`` (one row per task with its
    cross-validation figures, promoted or candidate, as `vigie train` does) or ``"meta"`` (mirror every
    meta.json and CURRENT.json, as the web app does).
    """

    use_embeddings: bool = True
    char_ngrams: bool = False
    with_db: bool = True
    run_cv: bool = True
    promote: bool = False
    version: str | None = None
    record: Literal["report", "meta"] = "meta"
    # Weight of the sentence reader in the initiative models (`TrainConfig.initiative_sentence_read`; 0: off).
    sentence_read: float = 0.0

    def __post_init__(self) -> None:
        if self.version is not None:
            check_version_name(self.version)
