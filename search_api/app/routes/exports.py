"""Exports of a filtered selection as CSV, JSONL or GeoJSON (points at the QPV contour's inner point)."""

from __future__ import annotations

import csv
import io
import json
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.errors import ConfigError, InputError, ReferenceDataError
from search_api.app import review
from search_api.app.dependencies import Viewer, get_services
from search_api.app.place_names import PlaceNames, load_place_names
from search_api.app.routes.rendering import STATUS_LABELS, french_bool
from search_api.app.routes.review import CONTOURS_FILE, _load_contours, parse_queue_filters

log = logging.getLogger(__name__)
router = APIRouter(tags=["exports"])
# (French header, how to read it from the exported record): the column dictionary is in docs/ui.md.
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("identifiant", "doc_id"), ("titre", "title"), ("adresse", "url"), ("source", "source"),
    ("date", "date"), ("statut", "status"), ("score", "score"), ("initiative", "name"),
    ("porteur", "carrier"), ("commune", "commune"), ("code QPV", "qpv_code"), ("nom du QPV", "qpv_name"),
    ("types d'innovation", "innovation_types"), ("en QPV", "in_qpv"),
    ("origine du titre", "title_source"), ("origine de la date", "date_source"),
)  # fmt: skip
CSV_BOM = "\ufeff"  # French spreadsheets read UTF-8 only with it
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "geojson": "application/geo+json",
}
MAX_EXPORT = 10000


def export_record(item: review.Item) -> dict[str, Any]:
    """One exported line: identity, decision and the values after corrections."""
    values = item.values
    return {
        "doc_id": item.doc_id,
        "title": item.title,
        "url": item.url,
        "source": item.source,
        "date": item.date,
        "status": item.status,
        "score": round(item.score, 4),
        **{
            k: values.get(k) for k in ("name", "carrier", "commune", "qpv_code", "innovation_types", "in_qpv")
        },
        "title_source": item.title_source,
        "date_source": item.date_source,
    }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def _csv_cell(value: Any) -> Any:
    """Lists joined by '|', None empty; text a spreadsheet could run as a formula gets a ' (OWASP).

    Spreadsheets skip leading spaces and line breaks before reading "=", so those count too.
    """
    if value is None:
        return ""
    if isinstance(value, list):
        value = "|".join(str(v) for v in value)
    if isinstance(value, str) and (
        value.startswith(FORMULA_STARTS) or value.lstrip(" \t\r\n\f\v\u00a0").startswith(FORMULA_STARTS)
    ):
        return "'" + value
    return value


def _french_decimal(value: float | None, digits: int = 4) -> str:
    """A decimal with a comma and no thousands separator, as French spreadsheets parse it."""
    return "" if value is None else f"{value:.{digits}f}".rstrip("0").rstrip(".").replace(".", ",")


def _french_day(value: str | None) -> str:
    """An ISO date as dd/mm/yyyy (what a French spreadsheet reads as a date); other values as they are."""
    text = (value or "")[:10]
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.replace("-", "").isdigit():
        return f"{text[8:10]}/{text[5:7]}/{text[:4]}"
    return value or ""


def french_csv_row(record: dict[str, Any], places: PlaceNames) -> dict[str, Any]:
    """One CSV line in French: labels, oui/non, decimal commas, dd/mm/yyyy, the QPV's name."""
    types = record.get("innovation_types") or []
    values = {
        **record,
        "date": _french_day(record.get("date")),
        "status": STATUS_LABELS.get(record.get("status") or "", record.get("status")),
        "score": _french_decimal(record.get("score")),
        "qpv_name": places.name(record.get("qpv_code"), "qpv") or "",
        "innovation_types": ", ".join(str(t) for t in types) if isinstance(types, list) else types,
        "in_qpv": french_bool(record.get("in_qpv")),
    }
    return {header: _csv_cell(values.get(key)) for header, key in CSV_COLUMNS}


def to_csv(records: list[dict[str, Any]], places: PlaceNames | None = None) -> str:
    """CSV for French spreadsheets: BOM, `;` separator, French headers and values, formulas defused."""
    places = places or PlaceNames()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[h for h, _ in CSV_COLUMNS], delimiter=";")
    writer.writeheader()
    for rec in records:
        writer.writerow(french_csv_row(rec, places))
    return CSV_BOM + buffer.getvalue()


def to_geojson(records: list[dict[str, Any]], contours: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A FeatureCollection; the point is inside the QPV contour (null geometry when no QPV is known)."""
    from shapely.geometry import mapping, shape

    features = []
    for rec in records:
        feature = contours.get(rec.get("qpv_code") or "")
        geometry = mapping(shape(feature["geometry"]).representative_point()) if feature else None
        features.append({"type": "Feature", "geometry": geometry, "properties": rec})
    return {"type": "FeatureCollection", "features": features}


def _contours(request: Request) -> dict[str, dict[str, Any]]:
    try:
        ref = get_services(request).settings.require_reference_dir()
        return _load_contours(str(ref / CONTOURS_FILE))
    except (ConfigError, ReferenceDataError) as exc:
        log.warning("GeoJSON export without contours: %s", exc.message)
        return {}


@router.get("/api/exports/{fmt}")
def export(request: Request, fmt: str, user: Viewer) -> Response:
    """Export the detections matching the filters (default: the validated catalogue)."""
    if fmt not in MEDIA_TYPES:
        raise InputError(f"unknown export format {fmt!r}", hint="use csv, jsonl or geojson")
    params = dict(request.query_params)
    filters = parse_queue_filters(
        {**params, "limit": params.get("limit") or MAX_EXPORT}, default_status="validated"
    )
    with get_services(request).session_factory() as session:
        records = [export_record(i) for i in review.list_items(session, filters)]
    if fmt == "csv":
        body = to_csv(records, load_place_names(get_services(request).settings.reference_dir))
    elif fmt == "jsonl":
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        body = json.dumps(to_geojson(records, _contours(request)), ensure_ascii=False)
    headers = {"Content-Disposition": f'attachment; filename="vigie-export.{fmt}"'}
    log.info("export format=%s rows=%d user=%s", fmt, len(records), user.username)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
