"""Value types of the analysis pipeline's items: a prepared item, and an item that could not be analysed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ItemError:
    """An input item that could not be analysed, with where and why."""

    id: str | None
    line: int | None
    reason: str


@dataclass
class Prepared:
    """One valid item after cleaning, ready for the batched stages."""

    id: str
    text: str
    title: str | None
    url: str | None
    lang: str | None
    passages: list[str]
    warnings: list[str] = field(default_factory=list)
    docs: list[Any] = field(default_factory=list)
    # Why the text is not scored ("empty_text", "language=en"), written in its analysis; None = analysed.
    skipped: str | None = None
