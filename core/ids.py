"""Stable identifiers shared by every area: a page id is derived from its canonical URL; data sets are
split in halves by the number their ids end with."""

from __future__ import annotations

import hashlib
import re

from core.errors import InputError


def make_page_id(canonical_url: str) -> str:
    """The page id contract: ``sha1(canonical_url).hexdigest()[:16]``."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


HALVES = ("all", "even", "odd")


def check_half(half: str) -> None:
    """Refuse a half that is not one of `HALVES`, with the accepted values."""
    if half not in HALVES:
        raise InputError(f"unknown half {half!r}", hint=f"use one of {', '.join(HALVES)}")


def in_half(identifier: str, half: str) -> bool:
    """Is ``identifier`` in ``half`` of a data set split by the number it ends with ("sd0002", "q14": even)?

    Rules or weights are developed on the even half and checked on the odd half; identifiers without a
    trailing number belong to ``all`` only.
    """
    if half == "all":
        return True
    digits = re.search(r"(\d+)$", identifier)
    return digits is not None and int(digits.group(1)) % 2 == (0 if half == "even" else 1)
