"""The document kind's text cues (eighth round, second pass): who speaks in the text and in what genre."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlp.classifiers.doc_kind import DocKindModel
from nlp.classifiers.examples import load_jsonl_examples
from nlp.classifiers.features import TextBatch
from nlp.classifiers.store import load_model
from nlp.classifiers.text_cues import CUE_NAMES, MAX_CHARS, text_cue_matrix, text_cues
from nlp.classifiers.training import TrainConfig, make_factories

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seed_batch(shared_dir: Path) -> tuple[TextBatch, np.ndarray]:
    """Every real seed excerpt with its URL and document kind."""
    examples = load_jsonl_examples(shared_dir / "data" / "annotations-seed" / "seed.jsonl", "seed")
    batch = TextBatch([e.text for e in examples], None, [e.url for e in examples])
    return batch, np.array([e.doc_kind for e in examples], dtype=object)


def _cue(text: str, name: str) -> float:
    return float(text_cues(text)[CUE_NAMES.index(name)])


def test_cues_read_the_words_of_each_genre() -> None:
    call = "Date limite de dépôt des candidatures : le dossier de candidature et le règlement sont en ligne."
    assert _cue(call, "call") > _cue("Le jardin partagé a ouvert ses portes samedi.", "call")
    assert _cue("Les lauréats ont été primés par le jury.", "laureates") > 0
    assert _cue("Notre association compte 40 bénévoles et 200 adhérents.", "association") > 0
    assert _cue("« C'est une première », a-t-il expliqué.", "press") > 0
    assert _cue("J’ai rejoint le projet en 2019 et je m’y plais.", "i") > 0  # the typographic apostrophe
    assert _cue("Le jardin partagé a ouvert ses portes samedi.", "i") == 0.0
    assert text_cue_matrix([]).shape == (0, len(CUE_NAMES))


def test_only_the_head_of_a_long_text_is_read() -> None:
    head = "Un texte neutre sur un jardin. " * 70
    assert len(head) >= MAX_CHARS
    np.testing.assert_array_equal(text_cues(head), text_cues(head + " lauréats primés jury " * 50))


def test_on_real_seed_texts_each_family_is_highest_on_its_own_kind(
    seed_batch: tuple[TextBatch, np.ndarray],
) -> None:
    batch, kinds = seed_batch
    cues = text_cue_matrix(list(batch.texts))
    for name, kind in (
        ("call", "call_for_projects"),
        ("laureates", "laureates_list"),
        ("list_items", "call_for_projects"),
    ):
        column = cues[:, CUE_NAMES.index(name)]
        means = {k: column[kinds == k].mean() for k in set(kinds)}
        assert max(means, key=lambda k: means[k]) == kind, (name, means)


def test_the_cue_block_joins_the_features_and_learns_the_genre(
    seed_batch: tuple[TextBatch, np.ndarray],
) -> None:
    batch, kinds = seed_batch
    plain = DocKindModel(C=8.0).fit(batch, kinds)
    cued = DocKindModel(C=8.0, text_cues=0.3).fit(batch, kinds)
    width = plain._features(batch).shape[1]
    assert cued._features(batch).shape[1] == width + len(CUE_NAMES)
    proba = cued.predict_proba(batch)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # what the block learned on real texts: the call words push towards a call for projects most of all
    # kinds, the laureate words towards a list of laureates
    coef = cued.model_.coef_[:, width:]
    classes = list(cued.classes_)
    assert classes[int(np.argmax(coef[:, CUE_NAMES.index("call")]))] == "call_for_projects"
    assert classes[int(np.argmax(coef[:, CUE_NAMES.index("laureates")]))] == "laureates_list"


def test_the_training_config_builds_the_cued_model_and_zero_is_v11() -> None:
    cued = make_factories(TrainConfig())["doc_kind"]()
    assert cued.text_cues == 0.3 and cued.url_cues == 0.3
    assert make_factories(TrainConfig(doc_kind_text_cues=0.0))["doc_kind"]().text_cues == 0.0


def test_a_model_saved_before_the_text_cues_still_predicts(seed_batch: tuple[TextBatch, np.ndarray]) -> None:
    batch, _ = seed_batch
    stored = load_model(REPO / "models", "doc_kind", "v11-real-urlcues")
    assert not hasattr(stored.estimator, "text_cues")
    kinds = stored.estimator.predict(batch.take(range(10)))
    assert len(kinds) == 10 and set(kinds) <= set(stored.estimator.classes_)
