"""What the web app needs from the rest of Vigie, handed in by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.protocols import Embedder
from core.settings import Settings


@dataclass
class AppServices:
    """Runtime objects of one app process; `vigie.wiring.make_app_services` builds them."""

    settings: Settings
    session_factory: sessionmaker[Session]
    search_engine: Any  # search_api.engines.base.SearchEngine (typed there; kept loose to avoid a cycle)
    embedder: Embedder | None = None
    # Hooks the composition root may plug in (retraining, re-analysis) without the app importing nlp.
    hooks: dict[str, Callable[..., Any]] = field(default_factory=dict)
