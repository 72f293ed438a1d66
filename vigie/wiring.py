"""Builds the runtime objects each command needs from settings: the only place packages meet."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.protocols import Embedder, ModelRegistry, TextAnalyzer
from core.settings import Settings
from core.storage import open_database

if TYPE_CHECKING:
    from pathlib import Path

    from nlp.classifiers.training import Embed
    from nlp.geo.protocols import PlaceLinker
    from search_api.app.places import PlaceDirectory
    from search_api.app.services import AppServices
    from search_api.engines.base import SearchEngine
    from search_api.engines.understanding import QueryPlaceLinker

log = logging.getLogger(__name__)


def open_db(settings: Settings) -> tuple[Engine, sessionmaker[Session]]:
    """Migrate and open the system of record named by the settings."""
    return open_database(settings.resolved_database_url)


@contextmanager
def db_session(settings: Settings) -> Iterator[Session]:
    """One session on the system of record for a command; the engine is disposed afterwards."""
    engine, factory = open_db(settings)
    try:
        with factory() as session:
            yield session
    finally:
        engine.dispose()


def make_embedder() -> Embedder:
    """The embedding model the settings name (``VIGIE_EMBEDDER``), loaded once per backend and folder.

    ``auto`` is resolved on every call (the encoder folder depends on the data directory), so a process whose
    settings change never gets the embedder an earlier data directory resolved to.
    """
    from core.settings import get_settings
    from nlp.encoders.backends import resolve_backend

    settings = get_settings()
    return _embedder_of(*resolve_backend(settings.embedder, settings.encoder_dir, settings.data_dir))


@lru_cache(maxsize=2)
def _embedder_of(kind: str, folder: Path | None) -> Embedder:
    from nlp.encoders.backends import make_embedder_backend

    return make_embedder_backend(kind, folder)


def make_query_place_linker(settings: Settings) -> QueryPlaceLinker | None:
    """The geography linker as search's query place linker (None without reference data).

    It reads queries with the rules' commune confidences: the commune role model (models/geo_roles) learned
    the roles of towns in documents (position, title, other towns named...), which a query of a few words
    does not have; with it, "vente en ligne de paniers" named Ligné and "Roubaix et Tourcoing" lost Tourcoing.
    """
    linker = make_training_linker(settings, roles=False)
    if linker is None:
        return None
    from vigie.query_places import GeoQueryLinker

    return GeoQueryLinker(linker)


def make_search_engine(settings: Settings, embedder: Embedder | None = None) -> SearchEngine:
    """The configured search engine (embedded by default, or Elasticsearch), with the cached embedder.

    Passage vectors are cached by content hash under ``<data_dir>/search/embeddings.sqlite``.
    """
    from search_api.engines.embedding_cache import CachedEmbedder
    from vigie.index_identity import get_index_embedder, is_stale

    search_dir = settings.data_dir / "search"
    cached = CachedEmbedder(embedder or make_embedder(), search_dir / "embeddings.sqlite")
    built = settings.search_backend == "elasticsearch" or (search_dir / "embedded").exists()
    if built and is_stale(settings, cached.name):
        log.warning(
            "the search index's vectors come from %s, queries are embedded by %s: run `vigie index --rebuild`"
            " (or set VIGIE_EMBEDDER to the index's encoder)",
            get_index_embedder(settings),
            cached.name,
        )
    if settings.search_backend == "elasticsearch":
        from search_api.engines.elasticsearch import ElasticsearchEngine

        return ElasticsearchEngine(
            str(settings.elasticsearch_url),
            alias=settings.elasticsearch_index,
            force_merge=settings.elasticsearch_merge,
            embedder=cached,
            place_linker=make_query_place_linker(settings),
            max_passages=settings.search_max_passages,
        )
    from search_api.engines.embedded import EmbeddedEngine

    return EmbeddedEngine(
        search_dir / "embedded",
        embedder=cached,
        place_linker=make_query_place_linker(settings),
        max_passages=settings.search_max_passages,
    )


def make_analyzer(settings: Settings, *, batch_size: int = 32, n_process: int = 1) -> TextAnalyzer:
    """The analysis pipeline (spaCy, geography linker, classifiers) with the promoted models.

    Heavy parts are cached per process: spaCy, the models of a CURRENT pointer, the linker, the embedder.
    """
    import logging

    from nlp.classifiers.models import load_models
    from nlp.pipeline import Analyzer

    models = load_models(settings.model_dir)
    linker = make_training_linker(settings)  # the linker the models were trained and evaluated with
    if linker is None:
        logging.getLogger(__name__).warning(
            "no reference data (VIGIE_REFERENCE_DIR=%s): analyses will name no QPV or commune",
            settings.reference_dir,
        )
    embedder = None
    if models.needs_embeddings:
        from search_api.engines.embedding_cache import CachedEmbedder

        # The search index's cache: re-analysis after a promotion reuses vectors of unchanged texts.
        embedder = CachedEmbedder(make_embedder(), settings.data_dir / "search" / "embeddings.sqlite")
    return Analyzer(models, linker=linker, embedder=embedder, batch_size=batch_size, n_process=n_process)


def make_training_linker(settings: Settings, roles: bool = True) -> PlaceLinker | None:
    """The geography linker training and evaluation decide in-QPV with (None without reference data);
    ``roles=False``: the rules' commune confidences, without the commune role model (models/geo_roles)."""
    if settings.reference_dir is None or not settings.reference_dir.is_dir():
        return None
    from nlp.geo import load_linker

    return load_linker(settings.reference_dir, roles=roles)


def make_embed_fn(settings: Settings, enabled: bool) -> Embed | None:
    """The passage embedding function of training (the search index's cache), or None when disabled."""
    if not enabled:
        return None
    from search_api.engines.embedding_cache import CachedEmbedder

    return CachedEmbedder(make_embedder(), settings.data_dir / "search" / "embeddings.sqlite").embed_passages


def make_lazy_embed_fn(settings: Settings) -> Embed:
    """An embedding function that loads the embedder only if called (promoted models that need it)."""

    def embed(texts: list[str]) -> Any:
        fn = make_embed_fn(settings, True)
        assert fn is not None  # enabled=True always gives one
        return fn(texts)

    return embed


def make_model_registry(settings: Settings, session_factory: sessionmaker[Session]) -> ModelRegistry:
    """The model registry over settings.model_dir and the model table, with training's embedder and linker."""
    from nlp.classifiers.registry import StoredModelRegistry

    return StoredModelRegistry(
        settings,
        session_factory,
        make_embed=lambda enabled: make_embed_fn(settings, enabled),
        make_linker=lambda: make_training_linker(settings),
    )


def make_app_services(settings: Settings) -> AppServices:
    """Everything the web app needs: database, search engine, the model registry and re-analysis."""
    from search_api.app.services import AppServices

    _, session_factory = open_db(settings)
    try:
        engine = make_search_engine(settings)
    except NotImplementedError:
        engine = None
    registry = make_model_registry(settings, session_factory)

    def reanalyze() -> dict[str, Any]:
        from vigie.stages import analyze_stored

        done, failed = analyze_stored(
            session_factory, make_analyzer(settings), True, settings.doc_kind_host_weight
        )
        indexed = 0
        if engine is not None:
            from search_api.engines.documents import reindex

            indexed = reindex(session_factory, engine).indexed
        return {"analysed": done, "failed": failed, "indexed": indexed}

    try:
        registry.sync()
    except Exception as exc:  # a bad meta.json must not keep the web app down
        log.warning("model versions not synchronised: %s", exc)
    return AppServices(
        settings=settings,
        session_factory=session_factory,
        search_engine=engine,
        registry=registry,
        reanalyze=reanalyze,
        places=make_place_directory(settings),
    )


def make_place_directory(settings: Settings) -> PlaceDirectory | None:
    """QPVs and communes of the reference data for the web app, loaded on first use (None without it)."""
    from search_api.app.places import PlaceDirectory

    ref_dir = settings.reference_dir
    if ref_dir is None or not ref_dir.is_dir():
        return None

    def load() -> Any:
        from nlp.geo.reference import load_reference

        return load_reference(ref_dir)

    return PlaceDirectory(load)
