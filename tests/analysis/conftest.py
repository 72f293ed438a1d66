"""Fixtures of the analysis tests: a small model trained once per session, settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings, get_settings, load_settings
from nlp.classifiers.examples import TrainingExample, assign_groups, load_jsonl_examples
from nlp.classifiers.training import TrainConfig, train_all

REPO = Path(__file__).resolve().parents[2]
OWN_EXAMPLES = REPO / "data" / "annotations" / "vigie-examples.jsonl"


@pytest.fixture(scope="session")
def small_examples(shared_dir: Path) -> list[TrainingExample]:
    """Our own examples plus the first 80 seed excerpts: enough to learn, quick to fit."""
    seed = load_jsonl_examples(shared_dir / "data" / "annotations-seed" / "seed.jsonl", "seed")[:80]
    return assign_groups(seed + load_jsonl_examples(OWN_EXAMPLES, "annotations"))


@pytest.fixture(scope="session")
def small_model_dir(tmp_path_factory: pytest.TempPathFactory, small_examples: list[TrainingExample]) -> Path:
    """A promoted model set trained without cross-validation on the small example set."""
    model_dir = tmp_path_factory.mktemp("models")
    train_all(
        small_examples,
        model_dir,
        config=TrainConfig(char_ngrams=False),
        version="vtest",
        run_cv=False,
        make_current=True,
    )
    return model_dir


@pytest.fixture
def analysis_settings(
    settings: Settings, small_model_dir: Path, shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Test settings whose model directory holds the small promoted model (also for subprocesses)."""
    monkeypatch.setenv("VIGIE_MODEL_DIR", str(small_model_dir))
    monkeypatch.setenv("VIGIE_REFERENCE_DIR", str(shared_dir / "data" / "reference"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    get_settings.cache_clear()
    yield load_settings()
    get_settings.cache_clear()
