"""The geography linker seen from search: the places a short query names (`QueryPlaceLinker`)."""

from __future__ import annotations

from nlp.geo.protocols import PlaceLinker
from nlp.geo.results import REPORT_THRESHOLD
from search_api.engines.understanding import PlaceRef


class GeoQueryLinker:
    """Wraps `nlp.geo`'s linker: communes and QPVs it is confident about, departments, regions, abroad."""

    def __init__(self, linker: PlaceLinker, min_confidence: float = REPORT_THRESHOLD) -> None:
        self.linker = linker
        self.min_confidence = min_confidence

    def link_query(self, text: str) -> list[PlaceRef]:
        """Places of the query, finest first (QPVs, communes, departments, regions), then abroad."""
        result = self.linker.link(text)
        if result.foreign:
            return [PlaceRef("abroad", p.country, p.name) for p in result.foreign_places] or [
                PlaceRef("abroad", "", "étranger")
            ]
        places = [PlaceRef("qpv", q.code, q.name) for q in result.qpvs if q.confidence >= self.min_confidence]
        places += [
            PlaceRef("commune", c.insee, c.name)
            for c in result.communes
            if c.confidence >= self.min_confidence
        ]
        places += [PlaceRef("department", code, code) for code in result.departments]
        places += [PlaceRef("region", code, code) for code in result.regions]
        return places
