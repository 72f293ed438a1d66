"""Cue-word features of the types model (nlp.classifiers.cues): sentence shares, one column per type."""

from __future__ import annotations

import numpy as np

from core.domain import INNOVATION_TYPES
from nlp.classifiers.cues import TYPE_CUES, cue_shares, sentences
from nlp.classifiers.estimators import BinaryTextClassifier, MultiLabelTypeClassifier
from nlp.classifiers.examples import TrainingExample
from nlp.classifiers.training import TrainConfig, make_factories


def test_every_type_has_cues_and_shares_follow_them() -> None:
    assert set(TYPE_CUES) == set(INNOVATION_TYPES)
    texts = [
        "Le fablab propose une application numérique et une imprimante 3D aux jeunes du quartier.",
        "Une table de quartier et le conseil citoyen lancent un tiers-lieu en coopération avec la mairie.",
        "Rien de particulier ici: une réunion ordinaire, un compte rendu, un vote.",
    ]
    shares = cue_shares(texts, INNOVATION_TYPES)
    tech, terr = INNOVATION_TYPES.index("technologique"), INNOVATION_TYPES.index("territoriale")
    assert shares.shape == (3, len(INNOVATION_TYPES))
    assert shares[0, tech] == 1.0 and shares[1, tech] == 0.0 and shares[1, terr] == 1.0
    assert shares[2].sum() == 0.0
    # Case and word starts: "Numérique" matches, "transnumérique" does not.
    upper, inside = cue_shares(["Numérique " * 3, "transnumérique " * 3], ["technologique"])[:, 0]
    assert upper > 0 and inside == 0
    assert cue_shares(["numérique"], ["inconnu"])[0, 0] == 0.0  # a label without cues reads nothing


def test_share_counts_sentences_not_words() -> None:
    text = (
        "Le projet numérique, une application et une plateforme en ligne pour tous.\n"
        "Les habitants se retrouvent chaque semaine au centre social.\n"
        "Menu\nAccueil\n"
        "Une fête réunit les familles autour d'un repas partagé. Rendez-vous le samedi 14 juin au gymnase."
    )
    assert sentences(text)[0].startswith("Le projet") and "Menu" not in sentences(text)
    assert len(sentences(text)) == 4
    assert cue_shares([text], ["technologique"])[0, 0] == 0.25  # four cue words, one sentence of four
    assert sentences("court") == ["court"]  # no long sentence: the whole head


def test_types_model_with_cues_reads_one_extra_column_per_type(small_examples: list[TrainingExample]) -> None:
    pos = [e for e in small_examples if e.is_initiative]
    texts = [e.text for e in pos]
    Y = [[int(t in e.innovation_types) for t in INNOVATION_TYPES] for e in pos]
    plain = MultiLabelTypeClassifier(labels=INNOVATION_TYPES, char_ngrams=False).fit(texts, Y)
    cued = MultiLabelTypeClassifier(labels=INNOVATION_TYPES, char_ngrams=False, type_cues=0.5).fit(texts, Y)
    width = len(plain.featurizer_.word_.vocabulary_)
    fitted = [m for m in cued.models_ if not isinstance(m, float)]
    assert fitted and all(m.n_features_in_ == width + 1 for m in fitted)
    proba = cued.predict_proba(texts)
    assert proba.shape == (len(texts), len(INNOVATION_TYPES))
    assert not np.allclose(proba, plain.predict_proba(texts))
    # A model pickled before the parameter existed has no attribute and reads no cue column.
    del plain.type_cues
    assert plain.predict_proba(texts[:2]).shape == (2, len(INNOVATION_TYPES))


def test_types_model_reads_raw_term_counts_when_asked(small_examples: list[TrainingExample]) -> None:
    pos = [e for e in small_examples if e.is_initiative]
    texts = [e.text for e in pos]
    Y = [[int(t in e.innovation_types) for t in INNOVATION_TYPES] for e in pos]
    raw = MultiLabelTypeClassifier(labels=INNOVATION_TYPES, char_ngrams=False, sublinear_tf=False).fit(
        texts, Y
    )
    log = MultiLabelTypeClassifier(labels=INNOVATION_TYPES, char_ngrams=False).fit(texts, Y)
    assert raw.featurizer_.word_.sublinear_tf is False and log.featurizer_.word_.sublinear_tf is True
    vocab = raw.featurizer_.word_.vocabulary_
    word = next(w for w in ("quartier", "projet", "habitants") if w in vocab)
    other = next(w for w in vocab if " " not in w and w != word)
    # The word three times, the other once: idf set aside, raw counts weigh them 3:1 and the
    # logarithm (1 + log 3):1.
    row_raw = raw.featurizer_.transform([f"{word} {word} {word} {other}"])
    row_log = log.featurizer_.transform([f"{word} {word} {word} {other}"])
    idf = raw.featurizer_.word_.idf_
    ratio_raw = row_raw[0, vocab[word]] / row_raw[0, vocab[other]] * idf[vocab[other]] / idf[vocab[word]]
    ratio_log = row_log[0, vocab[word]] / row_log[0, vocab[other]] * idf[vocab[other]] / idf[vocab[word]]
    assert np.isclose(ratio_raw, 3.0) and np.isclose(ratio_log, 1 + np.log(3))
    assert TrainConfig().types_sublinear_tf is False  # v7 default
    # A featurizer pickled before the parameter existed keeps the logarithm when refitted.
    del log.featurizer_.sublinear_tf
    assert log.featurizer_.fit(texts).word_.sublinear_tf is True


def test_initiative_detector_counts_each_word_once_when_asked(small_examples: list[TrainingExample]) -> None:
    texts = [e.text for e in small_examples]
    y = [int(e.is_initiative) for e in small_examples]
    once = BinaryTextClassifier(char_ngrams=False, binary_tf=True, tune_threshold=False).fit(texts, y)
    log = BinaryTextClassifier(char_ngrams=False, tune_threshold=False).fit(texts, y)
    assert once.featurizer_.word_.binary is True and log.featurizer_.word_.binary is False
    vocab = once.featurizer_.word_.vocabulary_
    word = next(w for w in ("quartier", "projet", "habitants") if w in vocab)
    other = next(w for w in vocab if " " not in w and w != word)
    # The word three times, the other once: idf set aside, presence weighs them 1:1, the
    # logarithm (1 + log 3):1.
    idf = once.featurizer_.word_.idf_
    for model, expected in ((once, 1.0), (log, 1 + np.log(3))):
        row = model.featurizer_.transform([f"{word} {word} {word} {other}"])
        ratio = row[0, vocab[word]] / row[0, vocab[other]] * idf[vocab[other]] / idf[vocab[word]]
        assert np.isclose(ratio, expected)
    assert TrainConfig().initiative_binary_tf is True  # v8 default
    factories = make_factories(TrainConfig(use_embeddings=True))
    assert factories["initiative"]().binary_tf and factories["initiative_fast"]().binary_tf
    assert not factories["qpv"]().binary_tf
    # A detector pickled before the parameter existed keeps counting occurrences when refitted.
    del log.binary_tf
    assert log.fit(texts, y).featurizer_.word_.binary is False
