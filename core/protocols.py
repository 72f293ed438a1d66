"""Seams between our packages, as Protocols the composition root (`vigie`) wires together."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from core.domain import Analysis, ModelVersion, TaskVersions, TrainOptions


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised sentence vectors."""

    name: str
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Vectors for documents or passages, shape (len(texts), dim)."""
        ...

    def embed_query(self, text: str) -> npt.NDArray[np.float32]:
        """Vector for a search query, shape (dim,)."""
        ...


class ModelRegistry(Protocol):
    """The one owner of the model lifecycle: train -> compare -> promote -> roll back.

    Files (models/<task>/<version>/, CURRENT.json) and the model table move together; the CLI and the web
    app both go through it.
    """

    def versions_by_task(self) -> dict[str, TaskVersions]:
        """Per task: the promoted version and every version, newest first."""
        ...

    def comparison(self, version: ModelVersion) -> dict[str, Any] | None:
        """The version's held-out comparison with the model promoted when it was trained (None if absent)."""
        ...

    def train(self, options: TrainOptions, announce: Callable[[str], None] | None = None) -> dict[str, Any]:
        """Train new versions of every task, record them, and return the training report."""
        ...

    def promote(self, model_id: int, actor: str) -> ModelVersion:
        """Make a version the promoted one of its task; the previous one is retired (kept for rollback)."""
        ...

    def rollback(self, task: str, actor: str) -> ModelVersion:
        """Go back to the version promoted before the current one."""
        ...

    def sync(self) -> int:
        """Mirror the version folders and CURRENT.json into the model table; returns how many were added."""
        ...


class ItemFailure(Protocol):
    """An input item an analyzer could not analyse: which one and why."""

    @property
    def id(self) -> str | None: ...

    @property
    def line(self) -> int | None: ...

    @property
    def reason(self) -> str: ...


class TextAnalyzer(Protocol):
    """The analysis pipeline as the stages see it (`nlp.pipeline.Analyzer`)."""

    def analyze(
        self, text: str, id: str = "doc", title: str | None = None, url: str | None = None
    ) -> Analysis:
        """Analyse one text."""
        ...

    def analyze_many(self, items: Iterable[Any]) -> Iterator[Analysis | ItemFailure]:
        """One result per item, in order; a bad item yields a failure and the batch goes on."""
        ...
