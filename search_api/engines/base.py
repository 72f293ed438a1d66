"""The one search-engine interface, its documents, reports and the filters both backends honour."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from core.domain import SearchQuery, SearchResult
from core.errors import InputError

Vector = npt.NDArray[np.float32]

# Multi-valued keyword fields: each is a filter (any of the given values) and a facet.
KEYWORD_FIELDS: tuple[str, ...] = (
    "region",
    "department",
    "commune",
    "qpv",
    "in_qpv",
    "innovation_type",
    "doc_kind",
    "source",
    "review_status",
)
RANGE_FILTERS: tuple[str, ...] = ("date_from", "date_to", "min_score")
IN_QPV_VALUES: tuple[str, ...] = ("true", "false", "unknown")


@dataclass
class IndexDocument:
    """What the engines index for one page: text, facets, a vector and a display summary."""

    id: str
    text: str
    title: str | None = None
    url: str | None = None
    date: str | None = None
    keywords: dict[str, list[str]] = field(default_factory=dict)
    initiative_score: float = 0.0
    is_initiative: bool = False
    group: str | None = None
    vector: Vector | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    # Long documents only (`passages.py`): vectors of the passages beyond the head, shape (n, dim), and
    # their ``(start, end)`` offsets in ``text``. None / empty: the head vector is the whole document.
    passage_vectors: Vector | None = None
    passage_spans: list[tuple[int, int]] = field(default_factory=list)

    @property
    def group_key(self) -> str:
        """Near-duplicates share a group key (the id of the page they duplicate)."""
        return self.group or self.id

    @property
    def date_number(self) -> int:
        """The date as YYYYMMDD (0 when unknown), for range filters and date sort."""
        return date_number(self.date)

    def to_source(self) -> dict[str, Any]:
        """The stored JSON of the document (no vector), returned by `get_document`."""
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "date": self.date,
            "text": self.text,
            "initiative_score": self.initiative_score,
            "is_initiative": self.is_initiative,
            "group": self.group_key,
            **{name: list(self.keywords.get(name, [])) for name in KEYWORD_FIELDS},
            "summary": self.summary,
        }


@dataclass
class BulkReport:
    """Outcome of a bulk indexing call: one rejected document never aborts the others."""

    indexed: int = 0
    errors: dict[str, str] = field(default_factory=dict)

    def merge(self, other: BulkReport) -> BulkReport:
        """Add another report's counts into this one."""
        self.indexed += other.indexed
        self.errors.update(other.errors)
        return self


@dataclass
class Filters:
    """Validated filters: keyword values per field, a date range and a minimum score."""

    keywords: dict[str, list[str]] = field(default_factory=dict)
    date_from: int | None = None
    date_to: int | None = None
    min_score: float | None = None

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return (
            not self.keywords and self.date_from is None and self.date_to is None and self.min_score is None
        )


def date_number(value: str | None) -> int:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD[...]`` into YYYYMMDD; 0 when absent or unreadable."""
    if not value:
        return 0
    parts = value[:10].split("-")
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else 1
        day = int(parts[2]) if len(parts) > 2 else 1
        date(year, month, day)
    except (ValueError, IndexError):
        return 0
    return year * 10000 + month * 100 + day


def parse_filters(raw: dict[str, Any]) -> Filters:
    """Validate a filter dict (API/CLI input) into `Filters`, naming the bad field on error."""
    filters = Filters()
    for name, value in raw.items():
        if value is None or value == [] or value == "":
            continue
        if name in KEYWORD_FIELDS:
            values = [str(v) for v in (value if isinstance(value, list | tuple | set) else [value])]
            if name == "in_qpv":
                values = [v.lower() for v in values]
                bad = [v for v in values if v not in IN_QPV_VALUES]
                if bad:
                    raise InputError(
                        f"filter in_qpv: unknown value {bad[0]!r}", hint="use true, false or unknown"
                    )
            filters.keywords[name] = values
        elif name in ("date_from", "date_to"):
            number = date_number(str(value))
            if number == 0:
                raise InputError(f"filter {name}: {value!r} is not a date", hint="use YYYY-MM-DD")
            setattr(filters, name, number)
        elif name == "min_score":
            try:
                filters.min_score = float(value)
            except (TypeError, ValueError) as exc:
                raise InputError(f"filter min_score: {value!r} is not a number", hint="use 0..1") from exc
        else:
            known = ", ".join(KEYWORD_FIELDS + RANGE_FILTERS)
            raise InputError(f"unknown filter {name!r}", hint=f"use one of: {known}")
    return filters


def check_facets(names: Iterable[str]) -> list[str]:
    """Validate facet names, naming the bad one."""
    out = []
    for name in names:
        if name not in KEYWORD_FIELDS:
            raise InputError(f"unknown facet {name!r}", hint="use one of: " + ", ".join(KEYWORD_FIELDS))
        out.append(name)
    return out


@runtime_checkable
class SearchEngine(Protocol):
    """One interface for every backend; the contract suite in tests/search runs against each."""

    name: str

    def ping(self) -> None:
        """Raise `EngineUnavailableError` when the engine cannot answer."""
        ...

    def index_documents(self, docs: Sequence[IndexDocument]) -> BulkReport:
        """Add or replace documents; rejected ones are reported, the rest indexed."""
        ...

    def rebuild(self, docs: Iterable[IndexDocument]) -> BulkReport:
        """Build a fresh index from ``docs`` and switch to it atomically."""
        ...

    def delete_documents(self, ids: Sequence[str]) -> int:
        """Remove documents by id; return how many existed."""
        ...

    def count(self) -> int:
        """Number of indexed documents."""
        ...

    def search(self, query: SearchQuery) -> SearchResult:
        """Ranked, filtered, faceted, paginated hits for a query."""
        ...

    def get_document(self, doc_id: str) -> dict[str, Any]:
        """The stored document; `NotFoundError` when absent."""
        ...

    def more_like_this(
        self, doc_id: str, size: int = 10, filters: dict[str, Any] | None = None
    ) -> SearchResult:
        """Documents closest to ``doc_id`` (itself and its duplicates excluded)."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...
