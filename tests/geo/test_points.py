"""Points against QPV polygons: a point inside, one 200 m outside, addresses through a fake BAN server."""

from __future__ import annotations

import http.server
import json
import math
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from shapely.geometry import Point

from core.errors import InputError
from nlp.geo import BanGeocoder, CentroidGeocoder, GeocodingError, GeoLinker, load_linker

QPV = "QN00103M"  # Les Courbes De L'Albarine, Ambérieu-en-Bugey: a QPV with no neighbour QPV nearby
Server = Callable[[type[http.server.BaseHTTPRequestHandler]], str]


def _inside_and_outside(linker: GeoLinker) -> tuple[tuple[float, float], tuple[float, float]]:
    """A point inside the QPV and one 200 m east of its easternmost vertex."""
    index = linker.spatial
    polygon = index.geometries[index.codes.index(QPV)]
    inside = polygon.representative_point()
    east_lon, east_lat = max(polygon.convex_hull.exterior.coords, key=lambda xy: xy[0])
    step = 200.0 / (111_320.0 * math.cos(math.radians(east_lat)))
    outside = Point(east_lon + step, east_lat)
    assert not polygon.contains(outside)
    return (inside.y, inside.x), (outside.y, outside.x)


def test_point_inside_and_200_m_outside(linker: GeoLinker) -> None:
    (in_lat, in_lon), (out_lat, out_lon) = _inside_and_outside(linker)
    assert linker.locate_point(in_lat, in_lon) == (QPV, 0.0)
    code, distance = linker.locate_point(out_lat, out_lon)
    assert code is None
    assert 190.0 <= distance <= 201.0
    assert linker.nearest_qpv(out_lat, out_lon) == (QPV, distance)  # within 300 m of this QPV


def test_bad_coordinates_are_refused(linker: GeoLinker) -> None:
    with pytest.raises(InputError, match="invalid coordinates"):
        linker.locate_point(123.0, 4.0)


def _ban_handler(answers: dict[str, tuple[float, float]]) -> type[http.server.BaseHTTPRequestHandler]:
    """A fake BAN /search endpoint answering GeoJSON for the known queries."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlparse(self.path)
            query = parse_qs(url.query).get("q", [""])[0]
            if url.path == "/search" and query == "boom":
                self.send_response(500)
                self.end_headers()
                return
            features = []
            for needle, (lat, lon) in answers.items():
                if needle in query:
                    props = {"label": query, "score": 0.93, "type": "housenumber", "citycode": "01004"}
                    geometry = {"type": "Point", "coordinates": [lon, lat]}
                    features.append({"type": "Feature", "geometry": geometry, "properties": props})
            body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    return Handler


def test_addresses_geocoded_through_ban_are_tested_against_polygons(
    linker: GeoLinker, reference_dir: object, serve: Server
) -> None:
    inside, outside = _inside_and_outside(linker)
    url = serve(_ban_handler({"rue des Lilas": inside, "rue du Stade": outside}))
    ban_linker = load_linker(linker.ref.directory, geocoder=BanGeocoder(url))
    text_in = "La recyclerie ouvre au 4 rue des Lilas, 01500 Ambérieu-en-Bugey, le 3 mai."
    text_out = "La recyclerie ouvre au 9 rue du Stade, 01500 Ambérieu-en-Bugey, le 3 mai."
    result_in = ban_linker.link(text_in)
    result_out = ban_linker.link(text_out)
    assert result_in.points[0].qpv_code == QPV
    assert QPV in [q.code for q in result_in.qpvs]
    assert result_in.in_qpv is True
    assert result_out.points[0].qpv_code is None
    assert 190.0 <= (result_out.points[0].distance_m or 0) <= 201.0


def test_ban_errors_are_translated_and_do_not_break_linking(linker: GeoLinker, serve: Server) -> None:
    url = serve(_ban_handler({}))
    geocoder = BanGeocoder(url)
    with pytest.raises(GeocodingError, match="failed"):
        geocoder.geocode("boom")
    assert geocoder.geocode("12 rue Inconnue") is None
    result = load_linker(linker.ref.directory, geocoder=geocoder).link(
        "Au 12 rue Inconnue, 69200 Vénissieux."
    )
    assert result.points == []
    assert result.communes[0].insee == "69259"


def test_offline_default_gives_a_town_centroid_never_tested_against_polygons(linker: GeoLinker) -> None:
    point = CentroidGeocoder(linker.ref).geocode("3 rue de la Paix, Vénissieux")
    assert point is not None and point.citycode == "69259" and not point.is_fine
    result = linker.link("Au 3 rue de la Paix, 69200 Vénissieux, un atelier vélo.")
    assert result.points[0].precision == "municipality"
    assert result.points[0].qpv_code is None and result.points[0].distance_m is None


def test_coordinates_in_text_are_located(linker: GeoLinker) -> None:
    (lat, lon), _ = _inside_and_outside(linker)
    result = linker.link(f"Point de rendez-vous : {lat:.5f}, {lon:.5f}.")
    assert result.points[0].qpv_code == QPV
    assert result.qpvs[0].code == QPV
