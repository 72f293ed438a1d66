"""Geocoders behind one protocol: the national address API (BAN, IGN Géoplateforme), an offline default."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import httpx

from core.errors import VigieError
from nlp.geo.normalise import name_key
from nlp.geo.reference import ReferenceData

logger = logging.getLogger(__name__)

BAN_URL = "https://data.geopf.fr/geocodage"  # IGN Géoplateforme, successor of api-adresse.data.gouv.fr
FINE_PRECISIONS = frozenset({"housenumber", "street", "locality"})


class GeocodingError(VigieError):
    """The geocoding service failed or answered something unusable."""

    code = "E801"


@dataclass(frozen=True)
class GeocodedPoint:
    """A point found for an address; ``precision`` is housenumber, street, locality or municipality."""

    lat: float
    lon: float
    score: float
    label: str
    citycode: str | None
    precision: str

    @property
    def is_fine(self) -> bool:
        """Precise enough to be tested against QPV polygons (a town centroid is not)."""
        return self.precision in FINE_PRECISIONS


class Geocoder(Protocol):
    """Turns a French address into a point."""

    def geocode(self, query: str, citycode: str | None = None) -> GeocodedPoint | None:
        """The best point for ``query`` (optionally within commune ``citycode``), or None."""
        ...


class CentroidGeocoder:
    """Offline default: the centroid of the commune (by INSEE code, or named at the end of the query)."""

    def __init__(self, ref: ReferenceData) -> None:
        self.ref = ref
        self._by_name: dict[str, str] = {}  # built on first use: most communes never need it

    def geocode(self, query: str, citycode: str | None = None) -> GeocodedPoint | None:
        """The commune centroid; precision "municipality", so never used for in-QPV tests."""
        insee = citycode if citycode in self.ref.communes else None
        if insee is None and not self._by_name:
            ordered = sorted(self.ref.communes.values(), key=lambda c: c.population)
            self._by_name = {name_key(c.name): c.insee for c in ordered}
        if insee is None:
            words = name_key(query).split()
            for size in range(min(6, len(words)), 0, -1):
                insee = self._by_name.get(" ".join(words[-size:]))
                if insee:
                    break
        commune = self.ref.communes.get(insee or "")
        if commune is None or commune.lat is None or commune.lon is None:
            return None
        return GeocodedPoint(commune.lat, commune.lon, 0.3, commune.name, commune.insee, "municipality")


class BanGeocoder:
    """Adapter for the national address API (``/search`` endpoint, GeoJSON answers)."""

    def __init__(
        self,
        base_url: str = BAN_URL,
        timeout: float = 5.0,
        min_score: float = 0.5,
        client: httpx.Client | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.min_score = min_score
        self.client = client or httpx.Client(timeout=timeout, headers={"User-Agent": "Vigie geocoder"})

    def geocode(self, query: str, citycode: str | None = None) -> GeocodedPoint | None:
        """Query ``/search?q=...&limit=1``; None when nothing scores above ``min_score``."""
        params = {"q": query[:200], "limit": "1"}
        if citycode:
            params["citycode"] = citycode
        try:
            response = self.client.get(f"{self.base_url}/search", params=params)
            response.raise_for_status()
            data = response.json()
        except httpx.HTTPError as exc:
            raise GeocodingError(
                f"geocoder {self.base_url} failed for {query!r}: {exc}",
                hint="check the geocoder URL and network, or use the offline centroid geocoder",
            ) from exc
        except ValueError as exc:
            raise GeocodingError(
                f"geocoder {self.base_url} sent invalid JSON: {exc}", hint="check the URL"
            ) from exc
        return self._parse(data)

    def _parse(self, data: object) -> GeocodedPoint | None:
        features = data.get("features") if isinstance(data, dict) else None
        if not isinstance(features, list):
            raise GeocodingError(
                "geocoder answer has no 'features' list", hint="is the URL a BAN /search endpoint?"
            )
        if not features:
            return None
        try:
            props = features[0]["properties"]
            lon, lat = features[0]["geometry"]["coordinates"][:2]
            score = float(props.get("score", 0.0))
            point = GeocodedPoint(
                float(lat),
                float(lon),
                score,
                str(props.get("label", "")),
                props.get("citycode"),
                props["type"],
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise GeocodingError(
                f"unexpected geocoder feature: {exc}", hint="is it a BAN /search endpoint?"
            ) from exc
        return point if score >= self.min_score else None
