"""Deduplication: URL canonicalisation (core.urls: courlan + w3lib), exact content hashes, SimHash."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

import numpy as np

# Page ids rest on it, and the page-id migration needs it, so the rule lives in core.
from core.urls import canonicalize_url, is_tracking_parameter

__all__ = ["NearDuplicateIndex", "canonicalize_url", "content_hash", "is_tracking_parameter", "simhash"]
_TOKEN = re.compile(r"\w+", re.UNICODE)
SIMHASH_BITS = 64
MIN_NEAR_DUP_CHARS = 300  # short texts share too many shingles by chance
NEAR_DUPLICATE_DISTANCE = 3  # bits out of 64: syndicated copies with small edits fall within it


def content_hash(text: str) -> str:
    """SHA-256 of the whitespace-normalised text: equal for byte-different but textually equal pages."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _shingles(text: str, size: int = 3) -> list[str]:
    words = _TOKEN.findall(text.lower())
    if len(words) < size:
        return words
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def simhash(text: str) -> int:
    """64-bit SimHash of word 3-gram shingles: each bit is set when most shingles' BLAKE2b-64 hashes
    have it (vectorised: the hashes' bits unpacked at once and counted per column)."""
    shingles = _shingles(text)
    if not shingles:
        return 0
    digests = b"".join(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest() for s in shingles)
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(len(shingles), 8), axis=1)
    ones = bits.sum(axis=0, dtype=np.int64)  # column j counts bit 63 - j of the big-endian hashes
    half = len(shingles) / 2
    value = 0
    for column, count in enumerate(ones.tolist()):
        if count > half:
            value |= 1 << (SIMHASH_BITS - 1 - column)
    return value


def hamming(a: int, b: int) -> int:
    """Number of differing bits."""
    return (a ^ b).bit_count()


class NearDuplicateIndex:
    """SimHash index: 4 bands of 16 bits, so any pair within 3 bits shares a band (pigeonhole)."""

    def __init__(self, max_distance: int = NEAR_DUPLICATE_DISTANCE) -> None:
        self.max_distance = max_distance
        self._bands: list[dict[int, list[tuple[int, str]]]] = [defaultdict(list) for _ in range(4)]

    def add(self, value: int, page_id: str) -> None:
        """Index one original page."""
        for band, table in enumerate(self._bands):
            table[value >> (16 * band) & 0xFFFF].append((value, page_id))

    def find(self, value: int, exclude: str | None = None) -> str | None:
        """The id of an indexed page within ``max_distance`` bits, if any."""
        for band, table in enumerate(self._bands):
            for other, page_id in table.get(value >> (16 * band) & 0xFFFF, []):
                if page_id != exclude and hamming(value, other) <= self.max_distance:
                    return page_id
        return None
