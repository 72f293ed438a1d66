"""The geography seam: what the analysis, training and evaluation need from a place linker."""

from __future__ import annotations

from typing import Any, Protocol

from nlp.geo.results import GeoResult


class PlaceLinker(Protocol):
    """Links one text (with its spaCy Doc and page URL when known) to QPVs, communes and places abroad."""

    def link(self, text: str, doc: Any = None, url: str | None = None) -> GeoResult:
        """The places of the text and its in-QPV decision (`nlp.geo.GeoLinker.link`)."""
        ...
