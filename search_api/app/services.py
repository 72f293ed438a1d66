"""What the web app needs from the rest of Vigie, handed in by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.protocols import Embedder, ModelRegistry
from core.settings import Settings
from search_api.app.jobs import JobRunner
from search_api.app.places import PlaceDirectory
from search_api.engines.base import SearchEngine

# Re-analyses the stored pages with the promoted models and re-indexes them; returns the counts.
Reanalysis = Callable[[], dict[str, Any]]


@dataclass
class AppServices:
    """Runtime objects of one app process; `vigie.wiring.make_app_services` builds them."""

    settings: Settings
    session_factory: sessionmaker[Session]
    search_engine: SearchEngine | None
    embedder: Embedder | None = None
    # The model lifecycle (train, promote, roll back) and re-analysis, plugged in by the composition root
    # (they need `nlp`); without them the model pages answer that they are not available in this process.
    registry: ModelRegistry | None = None
    reanalyze: Reanalysis | None = None
    jobs: JobRunner = field(default_factory=JobRunner)
    # QPVs and communes by name for the pickers and checked place corrections (None: no reference data).
    places: PlaceDirectory | None = None
