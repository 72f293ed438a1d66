"""Points in texts: coordinates and street addresses, geocoded and tested against QPV polygons."""

from __future__ import annotations

import logging
from collections.abc import Callable

from nlp.geo.geocoder import Geocoder, GeocodingError
from nlp.geo.points import find_addresses, find_coordinates
from nlp.geo.results import PointLink

logger = logging.getLogger(__name__)

Locator = Callable[[float, float], tuple[str | None, float]]


def link_points(
    text: str, geocoder: Geocoder | None, locate: Locator, citycode: str | None
) -> list[PointLink]:
    """Points of ``text``; a failing geocoder costs that address only, never the text."""
    points: list[PointLink] = []
    code: str | None
    distance: float | None  # None for a town centroid: no distance is meant
    for coord in find_coordinates(text):
        code, distance = locate(coord.lat, coord.lon)
        evidence = text[coord.start : coord.end]
        points.append(
            PointLink(coord.lat, coord.lon, code, distance, "coordinates", evidence, coord.start, coord.end)
        )
    if geocoder is None:
        return points
    for address in find_addresses(text):
        try:
            point = geocoder.geocode(address.query, None if address.postal_code else citycode)
        except GeocodingError as exc:
            logger.warning("geocoding failed address=%r error=%s", address.query, exc.message)
            continue
        if point is None:
            continue
        code, distance = locate(point.lat, point.lon) if point.is_fine else (None, None)
        points.append(
            PointLink(
                point.lat,
                point.lon,
                code,
                distance,
                point.precision,
                address.query,
                address.start,
                address.end,
            )
        )
    return points
