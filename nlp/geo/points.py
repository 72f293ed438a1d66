"""Street addresses and coordinates written in a text."""

from __future__ import annotations

import re
from dataclasses import dataclass

_STREET = (
    r"rue|avenue|av\.|boulevard|bd|place|all[ée]e|chemin|impasse|quai|route|cours|square|esplanade|passage"
    r"|mail|parvis|sentier|villa|rond-point"
)
_ADDRESS_RE = re.compile(
    r"\b(\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:" + _STREET + r")\s+[^,\n.;()«»\"]{2,60}?)"
    r"(?:\s*,?\s*(\d{5})\s+([A-ZÉÈÎ][\w'’ -]{1,40}?))?(?=[,.;)\n]|\s[-–]\s|$)",
    re.IGNORECASE,
)
_COORD_RE = re.compile(r"(?<![\d.])(-?\d{1,2}\.\d{3,8})\s*[,;/]\s*(-?\d{1,3}\.\d{3,8})(?!\d)(?!\.\d)")


@dataclass(frozen=True)
class AddressMention:
    """ "12 rue des Lilas, 69200 Vénissieux": the address text and where it is."""

    query: str
    postal_code: str | None
    start: int
    end: int


@dataclass(frozen=True)
class CoordinateMention:
    """ "45.7120, 4.8890": a latitude/longitude pair in degrees."""

    lat: float
    lon: float
    start: int
    end: int


def find_addresses(text: str, limit: int = 5) -> list[AddressMention]:
    """Street addresses (number + street type + name, optional postal code and town)."""
    found = []
    for match in _ADDRESS_RE.finditer(text):
        query = " ".join(part for part in match.groups() if part)
        found.append(
            AddressMention(re.sub(r"\s+", " ", query).strip(), match.group(2), match.start(), match.end())
        )
        if len(found) >= limit:
            break
    return found


def find_coordinates(text: str) -> list[CoordinateMention]:
    """Decimal latitude/longitude pairs that fall in a plausible range."""
    found = []
    for match in _COORD_RE.finditer(text):
        lat, lon = float(match.group(1)), float(match.group(2))
        if -90 <= lat <= 90 and -180 <= lon <= 180 and abs(lat) > 1:
            found.append(CoordinateMention(lat, lon, match.start(), match.end()))
    return found
