"""The one validation layer of the web app: bounded, typed ids, offsets, limits, dates, texts and corrections.

Every route and service takes its untrusted input through the types and parsers here, so a bad value
answers 422 in the documented error shape instead of reaching SQL (an offset of 2**63 overflowed
SQLite) or being stored with the wrong type (`is_initiative: "false"` read back as true).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from core.domain import INNOVATION_TYPES
from core.errors import InputError
from core.inputs import MAX_DOC_ID_CHARS

MAX_INT64 = 2**63 - 1  # the largest integer SQLite and PostgreSQL BIGINT columns hold
MAX_OFFSET = 100_000  # deeper pages are better reached with filters
MAX_LIMIT = 10_000  # also the export cap: `limit` can lower it, never raise or bypass it
MAX_QUERY_CHARS = 500  # search words, in the API, the UI, saved searches and feeds
MAX_FIELD_CHARS = 300  # a corrected name, carrier or commune
MAX_REASON_CHARS = 2_000  # a rejection reason
MAX_BULK_IDS = 10_000  # ids in one bulk action

InnovationType = Literal["sociale", "technologique", "territoriale", "marketing", "services"]
assert set(InnovationType.__args__) == set(INNOVATION_TYPES)  # type: ignore[attr-defined]  # one source
DocId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_DOC_ID_CHARS)]
RowId = Annotated[int, Field(ge=1, le=MAX_INT64)]
QueryText = Annotated[str, StringConstraints(max_length=MAX_QUERY_CHARS)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_FIELD_CHARS)]
Reason = Annotated[str, StringConstraints(max_length=MAX_REASON_CHARS)]
# Path parameters: FastAPI checks them before the route runs (422 in the documented shape).
DocIdPath = Annotated[str, Path(min_length=1, max_length=MAX_DOC_ID_CHARS, description="Document id.")]
RowIdPath = Annotated[int, Path(ge=1, le=MAX_INT64, description="Row id (1 .. 2^63-1).")]


def _problems(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'value'}: {e['msg']}" for e in exc.errors())


class Corrections(BaseModel):
    """A reviewer's corrections, one type per editable field of the domain model."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    carrier: ShortText | None = None
    commune: ShortText | None = None
    qpv_code: Annotated[str, StringConstraints(pattern=r"^Q[A-Z0-9]{6,9}$")] | None = None
    innovation_types: list[InnovationType] | None = None
    is_initiative: StrictBool | None = None
    in_qpv: StrictBool | None = None
    place_mismatch_assumed: StrictBool | None = None  # the reviewer keeps a QPV outside the commune
    # Derived by the server from qpv_code and commune (search_api.app.places), refused from clients.
    qpv: list[dict[str, Any]] | None = None
    communes: list[dict[str, Any]] | None = None
    department_codes: list[str] | None = None
    region_codes: list[str] | None = None

    @field_validator("name", "carrier", "commune", "qpv_code", mode="before")
    @classmethod
    def _strict_text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("must be a string or null")
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("innovation_types", mode="before")
    @classmethod
    def _types_list(cls, value: Any) -> Any:
        if isinstance(value, str):  # the form sends "sociale,services"
            return [t.strip() for t in value.split(",") if t.strip()]
        if value is not None and not isinstance(value, list):
            raise ValueError(f"must be a list of types among {', '.join(INNOVATION_TYPES)}")
        return value


def parse_corrections(raw: dict[str, Any]) -> dict[str, Any]:
    """The corrections that were sent, typed; unknown fields and wrong types are refused."""
    if not isinstance(raw, dict):
        raise InputError("corrections must be a JSON object", hint='e.g. {"commune": "Lyon"}')
    try:
        model = Corrections.model_validate(raw)
    except ValidationError as exc:
        raise InputError(
            f"invalid corrections: {_problems(exc)}",
            hint="editable fields: name, carrier, commune (strings), qpv_code (e.g. QN00101M), "
            f"innovation_types (list of {', '.join(INNOVATION_TYPES)}), is_initiative and in_qpv "
            "(true, false or null)",
        ) from exc
    return model.model_dump(include=set(raw))


class QueueParams(BaseModel):
    """Filters of the review queue, the catalogue and exports, from query or form parameters."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["", "pending", "validated", "rejected", "all"] | None = None
    q: QueryText | None = None
    source: ShortText | None = None
    commune: ShortText | None = None
    innovation_type: InnovationType | Literal[""] | None = None
    min_score: Annotated[float, Field(ge=0.0, le=1.0)] | None = None
    in_qpv: Literal["", "true", "false", "True", "False"] | None = None
    sort: Literal["", "score", "date"] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 50
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0

    @field_validator("min_score", "limit", "offset", mode="before")
    @classmethod
    def _blank_number(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, bool):
            raise ValueError("must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value


def parse_queue_params(params: dict[str, Any]) -> QueueParams:
    """Queue filters, bounded: limit 1..10000 (the export cap), offset 0..100000, min_score 0..1."""
    clean = {k: v for k, v in params.items() if not (k in ("limit", "offset") and v in (None, ""))}
    try:
        return QueueParams.model_validate(clean)
    except ValidationError as exc:
        raise InputError(
            f"invalid filters: {_problems(exc)}",
            hint=f"limit is 1..{MAX_LIMIT}, offset 0..{MAX_OFFSET}, min_score 0..1, "
            f"q at most {MAX_QUERY_CHARS} characters",
        ) from exc


_DATE = TypeAdapter(date)


def parse_date(value: str, name: str) -> str:
    """An ISO date (YYYY-MM-DD) or a clear error naming the parameter."""
    try:
        return _DATE.validate_python(value).isoformat()
    except ValidationError as exc:
        raise InputError(f"{name} is not a date: {value[:40]!r}", hint="use YYYY-MM-DD") from exc


def check_query_text(text: str) -> str:
    """Search words, at most MAX_QUERY_CHARS characters (a 100 KB query cost seconds of CPU)."""
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(
            f"query too long ({len(text)} characters)", hint=f"use at most {MAX_QUERY_CHARS} characters"
        )
    return text


def check_doc_id(doc_id: str) -> str:
    """A document id as stored and indexed: 1..64 characters."""
    if not doc_id or len(doc_id) > MAX_DOC_ID_CHARS:
        raise InputError(
            f"document id of {len(doc_id)} characters: {doc_id[:80]!r}",
            hint=f"ids have 1 to {MAX_DOC_ID_CHARS} characters",
        )
    return doc_id


MAX_FILTER_VALUES = 50


def check_search_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """Search filters checked as the engine will read them, and bounded (at most 50 short values each).

    Saved searches are checked when saved, so their feed never answers 422 forever.
    """
    from search_api.engines.base import parse_filters

    if not isinstance(filters, dict):
        raise InputError("filters must be a JSON object", hint='e.g. {"commune": ["69123"]}')
    for name, value in filters.items():
        values = value if isinstance(value, list) else [value]
        if len(values) > MAX_FILTER_VALUES or any(
            not isinstance(v, str | int | float) or len(str(v)) > MAX_FIELD_CHARS for v in values
        ):
            raise InputError(
                f"filter {str(name)[:40]!r} holds too many or too long values",
                hint=f"at most {MAX_FILTER_VALUES} values of {MAX_FIELD_CHARS} characters",
            )
    parse_filters(filters)  # the engine's own rules: names, in_qpv values, dates, min_score
    min_score = filters.get("min_score")
    if min_score not in (None, "") and not 0.0 <= float(min_score) <= 1.0:
        raise InputError(f"min_score must be in 0..1, not {min_score!r}", hint="e.g. 0.5")
    return filters
