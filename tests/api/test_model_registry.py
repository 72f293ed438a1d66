"""The model registry: one owner of train -> compare -> promote -> roll back, files and table together."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.dummy import DummyClassifier
from sqlalchemy.orm import Session, sessionmaker

from core.domain import TrainOptions
from core.errors import ModelError
from core.protocols import ModelRegistry
from core.settings import Settings, load_settings
from core.storage import open_database
from nlp.classifiers.registry import StoredModelRegistry
from nlp.classifiers.store import promote as promote_files
from nlp.classifiers.store import read_current, save_model


def _save(model_dir: Path, version: str, comparison: dict[str, object] | None = None) -> None:
    estimator = DummyClassifier(strategy="most_frequent").fit([[0], [1]], [0, 1])
    meta: dict[str, object] = {"task": "initiative", "version": version, "cv_metrics": {"f1": 0.5}}
    if comparison is not None:
        meta["compare_with_current"] = comparison
    save_model(model_dir, "initiative", version, estimator, meta)


@pytest.fixture
def registry(settings: Settings, tmp_path: Path) -> tuple[StoredModelRegistry, sessionmaker[Session]]:
    model_dir = tmp_path / "models"
    _save(model_dir, "v1")
    _save(model_dir, "v2", {"current_version": "v1", "n_holdout": 9, "candidate": {}, "current": {}})
    promote_files(model_dir, {"initiative": "v1"})
    scoped = load_settings(data_dir=settings.data_dir, model_dir=model_dir)
    _, factory = open_database(scoped.resolved_database_url)
    return StoredModelRegistry(scoped, factory), factory


def test_the_registry_satisfies_the_protocol(registry) -> None:  # type: ignore[no-untyped-def]
    implementation: ModelRegistry = registry[0]  # checked by mypy on this file's callers too
    assert implementation.sync() == 2
    assert implementation.sync() == 0  # idempotent


def test_sync_then_compare_reads_the_meta_files(registry) -> None:  # type: ignore[no-untyped-def]
    reg, _ = registry
    reg.sync()
    task = reg.versions_by_task()["initiative"]
    assert task.promoted is not None and task.promoted.version == "v1"
    by_version = {v.version: v for v in task.versions}
    assert [v.version for v in task.versions] == ["v2", "v1"]  # newest first
    comparison = reg.comparison(by_version["v2"])
    assert comparison is not None and comparison["n_compared"] == 9  # old reports default to n_holdout
    assert reg.comparison(by_version["v1"]) is None


def test_a_promotion_whose_files_are_missing_leaves_the_table_alone(registry) -> None:  # type: ignore[no-untyped-def]
    reg, _ = registry
    reg.sync()
    v2 = next(v for v in reg.versions_by_task()["initiative"].versions if v.version == "v2")
    (Path(v2.path) / "model.joblib").unlink()
    with pytest.raises(ModelError, match="no model initiative/v2"):
        reg.promote(v2.id, "ada")
    task = reg.versions_by_task()["initiative"]
    assert task.promoted is not None and task.promoted.version == "v1"
    assert read_current(reg.model_dir) == {"initiative": "v1"}


def test_training_without_examples_fails_clearly(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    reg, factory = registry
    empty = tmp_path / "no-annotations"
    empty.mkdir()
    settings = load_settings(
        data_dir=reg.settings.data_dir,
        model_dir=reg.model_dir,
        annotations_dir=empty,
        seed_annotations=None,
        pool_annotations=None,
    )
    with pytest.raises(Exception, match="no training examples found"):
        StoredModelRegistry(settings, factory).train(TrainOptions(use_embeddings=False, with_db=False))


def test_the_sentence_reader_option_reaches_the_training_config(registry) -> None:  # type: ignore[no-untyped-def]
    """`vigie train --sentence-read` without embeddings is refused by the training config it reaches."""
    reg, _ = registry
    with pytest.raises(Exception, match="the sentence reader needs embeddings"):
        reg.train(TrainOptions(use_embeddings=False, with_db=False, run_cv=False, sentence_read=1.0))
    assert read_current(reg.model_dir) == {"initiative": "v1"}
