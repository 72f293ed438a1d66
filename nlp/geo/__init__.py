"""Geography: link French texts to QPVs, communes, departments and regions; locate points in QPVs."""

from nlp.geo.linker import GeoLinker, load_linker
from nlp.geo.results import CommuneLink, GeoResult, QpvLink

__all__ = ["CommuneLink", "GeoLinker", "GeoResult", "QpvLink", "load_linker"]
