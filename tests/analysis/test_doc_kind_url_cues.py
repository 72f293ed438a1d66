"""The document kind's URL cues (eighth round): who publishes the page, read from its host and path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import ModelError
from nlp.classifiers.doc_kind import DocKindModel
from nlp.classifiers.examples import load_jsonl_examples
from nlp.classifiers.features import TextBatch
from nlp.classifiers.store import load_model
from nlp.classifiers.url_cues import CUE_NAMES, HostPlaces, host_place, load_host_places, url_cues

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def places(shared_dir: Path) -> HostPlaces:
    return load_host_places(shared_dir / "data" / "reference")


@pytest.fixture(scope="module")
def seed_batch(shared_dir: Path) -> tuple[TextBatch, np.ndarray]:
    """The first 150 real seed excerpts with their URLs and document kinds."""
    examples = load_jsonl_examples(shared_dir / "data" / "annotations-seed" / "seed.jsonl", "seed")[:150]
    batch = TextBatch([e.text for e in examples], None, [e.url for e in examples])
    return batch, np.array([e.doc_kind for e in examples], dtype=object)


@pytest.mark.parametrize(
    ("host", "named"),
    [
        ("pantin.fr", 1.0),  # a town's own site
        ("ville-creteil.fr", 1.0),  # "ville-" around the name
        ("brivemag.brive.fr", 1.0),  # the first word of Brive-la-Gaillarde
        ("lemag.seinesaintdenis.fr", 1.0),  # a department
        ("leparisien.fr", 0.0),  # a newspaper named after a city is not the city's site
        ("fondation.veolia.com", 0.0),
    ],
)
def test_a_host_named_after_a_place_is_recognised(places: HostPlaces, host: str, named: float) -> None:
    assert host_place(host, places)[0] == named


def test_cues_flag_blogs_mirrors_and_missing_urls(places: HostPlaces) -> None:
    def cue(url: str | None, name: str) -> float:
        return float(url_cues(url, places)[CUE_NAMES.index(name)])

    assert cue("https://quartiers.wordpress.com/2017/04/10/une-cantine/", "host_blog") == 1.0
    assert cue("https://pdfslide.fr/documents/actes-de-la-journee.html", "host_mirror") == 1.0
    assert cue("https://www.20minutes.fr/strasbourg/123-photovoltaique", "host_press") == 1.0
    assert cue("https://www.20minutes.fr/strasbourg/123-photovoltaique", "host_blog") == 0.0
    assert cue("https://aurore.asso.fr/insertion/conciergerie", "host_asso") == 1.0
    assert cue("https://www.pantin.fr/la-ville/actualites", "tld_fr") == 1.0
    assert cue(None, "no_url") == 1.0
    assert url_cues(None, places).sum() == 1.0


def test_the_cue_block_joins_the_features_and_the_contract_holds(
    seed_batch: tuple[TextBatch, np.ndarray], shared_dir: Path
) -> None:
    batch, kinds = seed_batch
    reference = str(shared_dir / "data" / "reference")
    plain = DocKindModel(C=8.0).fit(batch, kinds)
    cued = DocKindModel(C=8.0, url_cues=0.3, reference_dir=reference).fit(batch, kinds)
    assert plain.places_ is None and cued.places_ is not None
    assert cued._features(batch).shape[1] == plain._features(batch).shape[1] + len(CUE_NAMES)
    proba = cued.predict_proba(batch)
    assert proba.shape == (len(batch), len(cued.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(cued.predict(batch)) <= set(kinds)
    # what the place cue learned: the same page on a town's own host reads as more institutional than
    # with the place names unknown (every other feature equal)
    page = TextBatch([batch.texts[0]], None, ["https://www.pantin.fr/la-ville/en-ce-moment/un-jardin"])
    column = list(cued.classes_).index("institutional")
    with_place = cued.predict_proba(page)[0, column]
    cued.places_ = HostPlaces(frozenset(), frozenset())
    assert with_place > cued.predict_proba(page)[0, column] + 0.02


def test_cues_need_the_reference_data(seed_batch: tuple[TextBatch, np.ndarray], tmp_path: Path) -> None:
    batch, kinds = seed_batch
    with pytest.raises(ModelError, match="reference data"):
        DocKindModel(url_cues=0.3, reference_dir=str(tmp_path)).fit(batch, kinds)


def test_a_model_saved_before_the_cues_still_predicts(seed_batch: tuple[TextBatch, np.ndarray]) -> None:
    batch, _ = seed_batch
    stored = load_model(REPO / "models", "doc_kind", "v10-real-cascade")
    kinds = stored.estimator.predict(batch.take(range(10)))
    assert len(kinds) == 10 and set(kinds) <= set(stored.estimator.classes_)
