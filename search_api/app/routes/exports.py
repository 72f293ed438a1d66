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
from search_api.app.routes.review import CONTOURS_FILE, _load_contours, parse_queue_filters

log = logging.getLogger(__name__)
router = APIRouter(tags=["exports"])
CSV_COLUMNS = (
    "doc_id", "title", "url", "source", "date", "status", "score",
    "name", "carrier", "commune", "qpv_code", "innovation_types", "in_qpv",
)  # fmt: skip
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
    }


def _csv_cell(value: Any) -> Any:
    """Lists joined by '|'; text that a spreadsheet would run as a formula is quoted with a '."""
    if isinstance(value, list):
        value = "|".join(str(v) for v in value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(records: list[dict[str, Any]]) -> str:
    """CSV with a header, safe to open in a spreadsheet."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for rec in records:
        writer.writerow({k: _csv_cell(v) for k, v in rec.items()})
    return buffer.getvalue()


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
        body = to_csv(records)
    elif fmt == "jsonl":
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    else:
        body = json.dumps(to_geojson(records, _contours(request)), ensure_ascii=False)
    headers = {"Content-Disposition": f'attachment; filename="vigie-export.{fmt}"'}
    log.info("export format=%s rows=%d user=%s", fmt, len(records), user.username)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
