"""The sentence reader of the initiative models (issue 15, ninth round, fp9): splitting, out-of-fold
columns, training, saving, loading and scoring through the analyzer's cascade.

The e5 model is a third-party model: the letter-count embedder stands in for it (as in
test_whole_text_cascade.py); everything else is the product code on seed texts and our own examples.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.errors import InputError, ModelError
from nlp.classifiers.examples import TrainingExample, load_jsonl_examples
from nlp.classifiers.features import TextBatch, chunked_vectors
from nlp.classifiers.models import load_version
from nlp.classifiers.sentence_read import (
    MAX_SENTENCES,
    SENTENCE_MIN_CHARS,
    SentenceReadClassifier,
    SentenceReader,
    nested_columns,
    sentence_blocks,
    split_sentences,
)
from nlp.classifiers.training import TrainConfig, make_factories, train_all
from nlp.pipeline import Analyzer
from tests.analysis.letters import LetterEmbedder

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def read_dir(tmp_path_factory: pytest.TempPathFactory, small_examples: list[TrainingExample]) -> Path:
    """A promoted model set `vread` whose three initiative models read the sentences."""
    model_dir = tmp_path_factory.mktemp("read-models")
    config = TrainConfig(use_embeddings=True, initiative_sentence_read=1.0)
    train_all(
        small_examples, model_dir, config=config, embed=LetterEmbedder().embed_passages, version="vread",
        run_cv=False, make_current=True,
    )  # fmt: skip
    return model_dir


@pytest.fixture(scope="module")
def unseen(shared_dir: Path) -> list[str]:
    """Seed texts the models never saw (the first 80 train them)."""
    seed = load_jsonl_examples(shared_dir / "data" / "annotations-seed" / "seed.jsonl", "seed")[80:]
    return [e.text for e in seed][:40]


def test_sentences_are_the_long_pieces_of_the_text(small_examples: list[TrainingExample]) -> None:
    for ex in small_examples[:80]:
        found = split_sentences(ex.text)
        assert 1 <= len(found) <= MAX_SENTENCES
        assert all(s in ex.text for s in found)
        if len(found) > 1 or len(found[0]) > SENTENCE_MIN_CHARS:
            assert all(len(s) > SENTENCE_MIN_CHARS for s in found)
    text = "Un titre court.\nUne première phrase assez longue pour compter comme une phrase. Oui ! Non ?"
    assert split_sentences(text) == ["Une première phrase assez longue pour compter comme une phrase."]
    assert split_sentences("Trop court.") == ["Trop court."]  # no long sentence: the text's start


def test_the_columns_order_best_then_best_three_then_mean(small_examples: list[TrainingExample]) -> None:
    texts = [e.text for e in small_examples]
    y = np.array([int(e.is_initiative) for e in small_examples])
    blocks = sentence_blocks(LetterEmbedder().embed_passages, texts)
    assert [len(b) for b in blocks] == [len(split_sentences(t)) for t in texts]
    cols = SentenceReader().fit(blocks, y).columns(blocks)
    assert cols.shape == (len(texts), 3)
    assert np.all(cols[:, 0] >= cols[:, 1] - 1e-12) and np.all(cols[:, 1] >= cols[:, 2] - 1e-12)
    reader = SentenceReader().fit(blocks, y)
    single = reader.columns([blocks[0][:1]])  # one sentence: best = best three = mean
    assert np.allclose(single, single[0, 0])
    assert np.allclose(reader.columns(blocks[:5]), cols[:5])


def test_training_texts_get_out_of_fold_columns(small_examples: list[TrainingExample]) -> None:
    """A group's columns come from a reader that never saw that group: relabelling every other text
    changes them, while the in-sample reader would read its own labels back."""
    texts = [e.text for e in small_examples]
    y = np.array([int(e.is_initiative) for e in small_examples])
    groups = [e.group or e.id for e in small_examples]
    blocks = sentence_blocks(LetterEmbedder().embed_passages, texts)
    inner = nested_columns(blocks, y, groups, 5, 0, 1.0)
    own = SentenceReader().fit(blocks, y).columns(blocks)
    assert not np.allclose(inner, own)
    # In sample the mean column separates the labels at least as well as out of fold.
    gap = lambda c: c[y == 1, 2].mean() - c[y == 0, 2].mean()  # noqa: E731
    assert gap(own) >= gap(inner)
    # Deterministic for a seed, and the groups decide the folds.
    assert np.array_equal(inner, nested_columns(blocks, y, groups, 5, 0, 1.0))
    assert not np.array_equal(inner, nested_columns(blocks, y, None, 5, 0, 1.0))


def test_a_reading_model_needs_the_sentences(small_examples: list[TrainingExample]) -> None:
    texts = [e.text for e in small_examples]
    y = [int(e.is_initiative) for e in small_examples]
    with pytest.raises(ModelError, match="sentence embeddings"):
        SentenceReadClassifier(char_ngrams=False).fit(TextBatch(texts), y)
    with pytest.raises(InputError, match="needs embeddings"):
        train_all(
            small_examples,
            Path("/nonexistent"),
            config=TrainConfig(initiative_sentence_read=1.0),
            run_cv=False,
        )
    factories = make_factories(TrainConfig(use_embeddings=True, initiative_sentence_read=0.5))
    for task in ("initiative", "initiative_fast", "initiative_whole"):
        model = factories[task]()
        assert isinstance(model, SentenceReadClassifier) and model.sentence_weight == 0.5
    plain = make_factories(TrainConfig(use_embeddings=True))
    assert not any(isinstance(plain[t](), SentenceReadClassifier) for t in ("initiative", "initiative_fast"))


def test_saved_reading_models_score_as_fitted_and_embed_every_sentence(
    read_dir: Path, unseen: list[str]
) -> None:
    meta = json.loads((read_dir / "initiative" / "vread" / "meta.json").read_text())
    assert meta["config"]["initiative_sentence_read"] == 1.0
    models = load_version(read_dir, "vread")
    assert models.reads_sentences and models.whole_text is not None
    embedder = LetterEmbedder()
    scores = np.array(
        [s.initiative for s in models.score([[t] for t in unseen], [None] * len(unseen), embedder)]
    )
    # Every passage's sentences are embedded first (the TF-IDF stage reads them too), then the pieces.
    sentences = [s for t in unseen for s in split_sentences(t)]
    assert embedder.calls[: len(sentences)] == sentences
    # The TF-IDF stage's decisions are its own model's scores on the texts with their sentences.
    blocks = sentence_blocks(LetterEmbedder().embed_passages, unseen)
    fast = models.models["initiative_fast"]
    fast_scores = fast.estimator.decision_scores(TextBatch(unseen, sentences=blocks))
    skipped = fast_scores < fast.meta["cascade_low"]
    assert skipped.any() and (~skipped).any()
    assert np.allclose(scores[skipped], fast_scores[skipped])
    kept = np.flatnonzero(~skipped)
    main = models.models["initiative"].estimator.decision_scores(
        TextBatch(
            [unseen[i] for i in kept],
            chunked_vectors(LetterEmbedder().embed_passages, [unseen[i] for i in kept], [500, 400]),
            sentences=[blocks[i] for i in kept],
        )
    )
    threshold = models.threshold("initiative")
    outside = np.abs(main - threshold) >= 0.10
    assert outside.any()
    assert np.allclose(scores[kept][outside], main[outside])
    # The reading TF-IDF stage needs embeddings: evidence sentences are ranked on cue words alone.
    assert models.sentence_scores(["Une phrase quelconque sur un projet de quartier."]) is None
    analyzer = Analyzer(models, embedder=LetterEmbedder(), overlap=False)
    results = list(analyzer.analyze_many({"id": str(i), "text": t} for i, t in enumerate(unseen[:5])))
    assert all(hasattr(r, "is_initiative") for r in results)


def test_models_saved_before_the_reader_do_not_read_sentences() -> None:
    models = load_version(REPO / "models", "v10-real-cascade")
    assert not models.reads_sentences
    # Their TF-IDF stage still ranks the evidence sentences.
    text = "Une association lance un atelier de réparation de vélos au pied des immeubles du quartier."
    scores = models.sentence_scores([text])
    assert scores is not None and len(scores) == 1
