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
    """The one sentence-embedding model of the process (``VIGIE_EMBEDDER``), loaded once."""
    from core.settings import get_settings
    from nlp.encoders.backends import make_embedder_backend

    settings = get_settings()
    return make_embedder_backend(settings.embedder, settings.encoder_dir)


def make_search_engine(settings: Settings, embedder: Embedder | None = None) -> Any:
    """The configured search engine (embedded by default, or Elasticsearch), with the cached embedder.

    Passage vectors are cached by content hash under ``<data_dir>/search/embeddings.sqlite``.
    """
    from search_api.engines.embedding_cache import CachedEmbedder

    search_dir = settings.data_dir / "search"
    cached = CachedEmbedder(embedder or make_embedder(), search_dir / "embeddings.sqlite")
    if settings.search_backend == "elasticsearch":
        from search_api.engines.elasticsearch import ElasticsearchEngine

        return ElasticsearchEngine(
            str(settings.elasticsearch_url), alias=settings.elasticsearch_index, embedder=cached
        )
    from search_api.engines.embedded import EmbeddedEngine

    return EmbeddedEngine(search_dir / "embedded", embedder=cached)


def make_analyzer(settings: Settings, *, batch_size: int = 32, n_process: int = 1) -> Any:
    """The analysis pipeline (spaCy, geography linker, classifiers) with the promoted models.

    Heavy parts are cached per process: spaCy, the models of a CURRENT pointer, the linker, the embedder.
    """
    import logging

    from nlp.classifiers.models import load_models
    from nlp.pipeline import Analyzer

    models = load_models(settings.model_dir)
    linker = None
    if settings.reference_dir is not None and settings.reference_dir.is_dir():
        from nlp.geo import load_linker

        linker = load_linker(settings.reference_dir)
    else:
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


def make_app_services(settings: Settings) -> Any:
    """Everything the web app needs: database, search engine, and the train/promote/reanalyze hooks."""
    import logging
    from datetime import UTC, datetime

    from search_api.services import AppServices

    log = logging.getLogger(__name__)
    _, session_factory = open_db(settings)
    try:
        engine = make_search_engine(settings)
    except NotImplementedError:
        engine = None

    def sync_models() -> int:
        """Mirror models/<task>/<version>/meta.json and CURRENT.json into the model_versions table."""
        import json

        from sqlalchemy import select

        from core.storage.tables import ModelVersionRow
        from nlp.classifiers.store import read_current

        current, added = read_current(settings.model_dir), 0
        with session_factory() as session:
            known = {(r.task, r.version): r for r in session.scalars(select(ModelVersionRow))}
            for meta_path in sorted(settings.model_dir.glob("*/*/meta.json")):
                task, version = meta_path.parent.parent.name, meta_path.parent.name
                row = known.get((task, version))
                if row is None:
                    meta = json.loads(meta_path.read_text(encoding="utf-8"))
                    metrics = meta.get("cv_metrics") or {}
                    metrics |= {"n_examples": meta.get("n_examples"), "data_hash": meta.get("data_hash")}
                    row = ModelVersionRow(
                        task=task, version=version, path=str(meta_path.parent), metrics=metrics
                    )
                    session.add(row)
                    added += 1
                promoted = current.get(task) == version
                if promoted and row.status != "promoted":
                    row.status, row.promoted_at = "promoted", datetime.now(UTC)
                elif not promoted and row.status == "promoted":
                    row.status = "retired"
            session.commit()
        return added

    def train() -> dict[str, Any]:
        from nlp.classifiers.training import TrainConfig, load_training_examples, train_all
        from vigie.commands.models_report import make_embed_fn, make_training_linker

        # Same design as `vigie train`: TF-IDF + e5 embeddings, in-QPV decided with the geography linker.
        report = train_all(
            load_training_examples(settings, session_factory),
            settings.model_dir,
            config=TrainConfig(use_embeddings=True),
            embed=make_embed_fn(settings, True),
            linker=make_training_linker(settings),
        )
        sync_models()
        return report

    def promote(task: str, version: str) -> None:
        from nlp.classifiers.store import promote as promote_files

        promote_files(settings.model_dir, {task: version})

    def reanalyze() -> dict[str, Any]:
        from vigie.commands.analyze import analyze_stored

        done, failed = analyze_stored(settings, make_analyzer(settings), True)
        indexed = 0
        if engine is not None:
            from search_api.engines.documents import reindex

            indexed = reindex(session_factory, engine).indexed
        return {"analysed": done, "failed": failed, "indexed": indexed}

    try:
        sync_models()
    except Exception as exc:  # a bad meta.json must not keep the web app down
        log.warning("model versions not synchronised: %s", exc)
    hooks = {"train": train, "promote": promote, "reanalyze": reanalyze, "sync_models": sync_models}
    return AppServices(settings=settings, session_factory=session_factory, search_engine=engine, hooks=hooks)
