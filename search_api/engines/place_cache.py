"""The places of recent queries remembered, so the pages, facets and refinements of one query link once."""

from __future__ import annotations

from functools import _CacheInfo, lru_cache

from search_api.engines.understanding import PlaceRef, QueryPlaceLinker

CACHE_SIZE = 2048


class CachedPlaceLinker:
    """A `QueryPlaceLinker` with an LRU on the query text (the geography linker is deterministic)."""

    def __init__(self, linker: QueryPlaceLinker, size: int = CACHE_SIZE) -> None:
        self.linker = linker
        self._link = lru_cache(maxsize=size)(self._link_uncached)

    def _link_uncached(self, text: str) -> tuple[PlaceRef, ...]:
        return tuple(self.linker.link_query(text))

    def link_query(self, text: str) -> list[PlaceRef]:
        """Places of the query, most confident first (a new list each time: callers may change it)."""
        return list(self._link(text))

    def cache_info(self) -> _CacheInfo:
        """Hits, misses and size of the cache (`functools.lru_cache`)."""
        return self._link.cache_info()


def cached_place_linker(linker: QueryPlaceLinker | None) -> QueryPlaceLinker | None:
    """``linker`` behind an LRU (None stays None; an already cached linker is kept as is)."""
    if linker is None or isinstance(linker, CachedPlaceLinker):
        return linker
    return CachedPlaceLinker(linker)
