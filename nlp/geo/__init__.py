"""Geography: link French texts to QPVs, communes, departments and regions; locate points in QPVs."""

from nlp.geo.geocoder import BanGeocoder, CentroidGeocoder, GeocodedPoint, Geocoder, GeocodingError
from nlp.geo.linker import GeoLinker, load_linker
from nlp.geo.results import REPORT_THRESHOLD, CommuneLink, GeoResult, PointLink, QpvLink

__all__ = [
    "BanGeocoder",
    "CentroidGeocoder",
    "CommuneLink",
    "GeoLinker",
    "GeoResult",
    "GeocodedPoint",
    "Geocoder",
    "GeocodingError",
    "PointLink",
    "QpvLink",
    "REPORT_THRESHOLD",
    "load_linker",
]
