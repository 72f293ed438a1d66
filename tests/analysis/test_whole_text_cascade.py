"""The initiative cascade's whole-text stage (v10): band, second model, reuse of the first pieces.

The e5 model is a third-party model: a deterministic letter-count embedder stands in for it (as in
test_embedding_features.py); everything else (training, storage, loading, scoring, the analyzer, the
cross-validation) is the product code on seed texts and our own examples.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from core.domain import Analysis
from core.errors import InputError, ModelError
from nlp.classifiers.cascade import band_rows, rescore_band, to_main_scale
from nlp.classifiers.evaluation import make_task_data
from nlp.classifiers.examples import TrainingExample, load_jsonl_examples
from nlp.classifiers.features import TextBatch, chunk_texts, chunked_vectors
from nlp.classifiers.models import ModelSet, load_models, load_version
from nlp.classifiers.real_evaluation import real_cross_validation
from nlp.classifiers.store import WHOLE_TEXT_TASK
from nlp.classifiers.training import (
    TrainConfig,
    example_vectors,
    example_whole_vectors,
    make_factories,
    train_all,
)
from nlp.pipeline import Analyzer, prepare
from tests.analysis.letters import LetterEmbedder

REPO = Path(__file__).resolve().parents[2]
WHOLE = (500, 400, 500, 500, 500)
# Wider than v10's 0.10 so that the small training set puts texts in the band.
BAND = 0.3


@pytest.fixture(scope="module")
def cascade_dir(tmp_path_factory: pytest.TempPathFactory, small_examples: list[TrainingExample]) -> Path:
    """A promoted model set `vwhole` with the whole-text stage, trained on seed texts and our examples."""
    model_dir = tmp_path_factory.mktemp("cascade-models")
    config = TrainConfig(use_embeddings=True, whole_text_band=BAND, whole_text_pieces=WHOLE)
    train_all(
        small_examples, model_dir, config=config, embed=LetterEmbedder().embed_passages, version="vwhole",
        run_cv=False, make_current=True,
    )  # fmt: skip
    return model_dir


@pytest.fixture(scope="module")
def texts(shared_dir: Path) -> list[str]:
    """Seed texts the models never saw (the first 80 train them), 1,500-3,500 characters: 3-5 pieces."""
    seed = load_jsonl_examples(shared_dir / "data" / "annotations-seed" / "seed.jsonl", "seed")[80:]
    return [e.text for e in seed if 1500 < len(e.text) < 3500][:40]


def without_stage(models: ModelSet) -> ModelSet:
    """The same models without the whole-text stage: what a model set trained before v10 holds."""
    return ModelSet({t: m for t, m in models.models.items() if t != WHOLE_TEXT_TASK})


def test_the_mapped_score_keeps_the_whole_text_decision() -> None:
    own, main = 0.62, 0.375
    scores = np.array([0.0, 0.3, 0.61999, 0.62, 0.63, 0.9, 1.0])
    mapped = to_main_scale(scores, own, main)
    assert np.array_equal(mapped >= main, scores >= own)
    assert np.all(np.diff(mapped) > 0) and mapped[0] == 0.0 and mapped[-1] == 1.0
    assert mapped[3] == main
    assert list(band_rows([0.27, 0.275, 0.37, 0.474, 0.475, 0.9], 0.375, 0.1)) == [1, 2, 3]
    assert len(band_rows([0.375], 0.375, 0.0)) == 0


def test_rescore_band_changes_only_the_band_rows() -> None:
    class Half:
        threshold_ = 0.5

        def decision_scores(self, batch: TextBatch) -> npt.NDArray[np.float64]:
            return np.array([0.9 if "yes" in t else 0.1 for t in batch.texts])

    texts = ["yes a", "no b", "yes c", "no d"]
    seen: list[list[int]] = []

    def batch(rows: npt.NDArray[np.intp]) -> TextBatch:
        seen.append(list(rows))
        return TextBatch([texts[r] for r in rows])

    out, rows = rescore_band([0.1, 0.45, 0.35, 0.99], 0.4, Half(), 0.1, batch)
    assert list(rows) == [1, 2] and seen == [[1, 2]]
    assert out[0] == 0.1 and out[3] == 0.99  # outside the band: untouched
    assert out[1] < 0.4 <= out[2]  # "no b" now below the threshold, "yes c" above


def test_the_whole_text_model_is_saved_with_its_band(cascade_dir: Path) -> None:
    meta = json.loads((cascade_dir / WHOLE_TEXT_TASK / "vwhole" / "meta.json").read_text())
    assert meta["cascade_band"] == BAND and meta["embed_pieces"] == list(WHOLE)
    assert meta["embedding_view"] == "mean" and meta["thresholds"]["positive"] > 0
    assert meta["config"]["whole_text_band"] == BAND
    current = json.loads((cascade_dir / "CURRENT.json").read_text())
    assert current[WHOLE_TEXT_TASK] == "vwhole"
    models = load_models(cascade_dir)
    assert models.whole_text is not None and models.whole_text[1] == BAND
    assert models.embed_pieces == [500, 400]  # every text still embeds its first two pieces only


def test_only_the_band_pays_the_further_pieces_and_the_second_model_decides(
    cascade_dir: Path, texts: list[str]
) -> None:
    models = load_version(cascade_dir, "vwhole")
    plain = without_stage(models)
    embedder = LetterEmbedder()
    scores = np.array(
        [s.initiative for s in models.score([[t] for t in texts], [None] * len(texts), embedder)]
    )
    # The same models without the last stage: the scores the band is read on.
    base = np.array([s.initiative for s in plain.score([[t] for t in texts], [None] * len(texts), embedder)])
    threshold = models.threshold("initiative")
    fast = models.models["initiative_fast"].estimator.decision_scores(texts)
    embedded = fast >= models.models["initiative_fast"].meta["cascade_low"]
    in_band = embedded & (base >= threshold - BAND) & (base < threshold + BAND)
    assert in_band.any() and (embedded & ~in_band).any()
    assert np.array_equal(scores[~in_band], base[~in_band])
    # In the band, the whole-text model decides at its own threshold, on the mean of all five pieces.
    whole = models.models[WHOLE_TEXT_TASK].estimator
    band_texts = [t for t, b in zip(texts, in_band, strict=True) if b]
    own = whole.decision_scores(
        TextBatch(band_texts, chunked_vectors(LetterEmbedder().embed_passages, band_texts, WHOLE))
    )
    assert np.array_equal(scores[in_band] >= threshold, own >= whole.threshold_)
    assert np.allclose(scores[in_band], to_main_scale(own, whole.threshold_, threshold), atol=1e-6)
    # Embedded: the first two pieces of each text past the TF-IDF stage, then the further ones of the band.
    embedder.calls.clear()
    models.score([[t] for t in texts], [None] * len(texts), embedder)
    first = [p for t, e in zip(texts, embedded, strict=True) if e for p in chunk_texts(t, [500, 400])]
    further = [p for t in band_texts for p in chunk_texts(t, WHOLE)[2:]]
    assert embedder.calls == first + further
    # A set trained without the stage scores as before it existed: TF-IDF stage, then the first pieces.
    assert plain.whole_text is None and WHOLE_TEXT_TASK not in plain.models
    embedder.calls.clear()
    old = np.array([s.initiative for s in plain.score([[t] for t in texts], [None] * len(texts), embedder)])
    fast = plain.models["initiative_fast"].estimator.decision_scores(texts)
    kept = fast >= plain.models["initiative_fast"].meta["cascade_low"]
    kept_texts = [t for t, k in zip(texts, kept, strict=True) if k]
    vectors = chunked_vectors(LetterEmbedder().embed_passages, kept_texts, [500, 400])
    expected = fast.copy()
    expected[kept] = plain.models["initiative"].estimator.decision_scores(TextBatch(kept_texts, vectors))
    assert np.array_equal(old, expected)
    assert embedder.calls == [p for t in kept_texts for p in chunk_texts(t, [500, 400])]


def test_older_model_sets_load_without_the_stage() -> None:
    models = load_version(REPO / "models", "v9-real-tfidf-e5")
    assert WHOLE_TEXT_TASK not in models.models and models.whole_text is None
    assert models.embed_pieces == [500, 400]
    with pytest.raises(ModelError, match="v0-none"):
        load_version(REPO / "models", "v0-none")


def test_the_stage_is_off_when_the_initiative_task_points_at_another_version() -> None:
    """A rollback of the initiative task alone (model table) must not read its scores with the band of
    another version's whole-text model."""
    models = load_version(REPO / "models", "v10-real-cascade")
    assert models.whole_text is not None
    mixed = ModelSet(
        models.models | {"initiative": load_version(REPO / "models", "v9-real-tfidf-e5").models["initiative"]}
    )
    assert mixed.whole_text is None


def test_the_analyzer_decides_with_the_cascade(cascade_dir: Path, texts: list[str]) -> None:
    models = load_version(cascade_dir, "vwhole")
    analyzer = Analyzer(models, embedder=LetterEmbedder(), overlap=False)
    results = list(analyzer.analyze_many({"id": str(i), "text": t} for i, t in enumerate(texts)))
    base = list(Analyzer(without_stage(models), embedder=LetterEmbedder(), overlap=False).analyze_many(
        {"id": str(i), "text": t} for i, t in enumerate(texts)
    ))  # fmt: skip
    assert all(isinstance(r, Analysis) for r in results + base)
    analyses = [r for r in results if isinstance(r, Analysis)]
    plain = [r for r in base if isinstance(r, Analysis)]
    prepared = [prepare({"id": str(i), "text": t, "title": None, "url": None}) for i, t in enumerate(texts)]
    direct = models.score([p.passages for p in prepared], [None] * len(texts), LetterEmbedder())
    threshold = models.threshold("initiative")
    assert [r.is_initiative for r in analyses] == [s.initiative >= threshold for s in direct]
    assert [r.initiative_score for r in analyses] == pytest.approx([s.initiative for s in direct], abs=1e-4)
    changed = [a.initiative_score != b.initiative_score for a, b in zip(analyses, plain, strict=True)]
    assert any(changed)  # the band's texts were rescored by the whole-text model


@pytest.mark.slow
def test_cross_validation_runs_the_same_stage(small_examples: list[TrainingExample]) -> None:
    embed = LetterEmbedder().embed_passages
    config = TrainConfig(use_embeddings=True, whole_text_band=BAND, whole_text_pieces=WHOLE)
    data = make_task_data(
        small_examples, example_vectors(small_examples, config, embed), None,
        example_whole_vectors(small_examples, config, embed),
    )  # fmt: skip
    written = np.array([e.origin.startswith("annotations/") for e in small_examples])
    report = real_cross_validation(
        data, make_factories(config), written, 3, (0,), config.cascade_low, use_written=True, band=BAND
    )
    before = report["without_whole_text"]["by_fold_seed"][0]
    assert 0 < before["share_decided_by_whole_text"] < 1
    # The stage changed initiative decisions on the scored texts: the figures with and without it differ.
    after = report["by_fold_seed"][0]
    assert any(before[k] != after[k] for k in ("initiative_precision", "initiative_recall"))
    plain = real_cross_validation(
        data, make_factories(TrainConfig(use_embeddings=True, whole_text_band=0)), written, 3, (0,),
        config.cascade_low, use_written=True, band=0.0,
    )  # fmt: skip
    assert "without_whole_text" not in plain
    assert {k: plain["by_fold_seed"][0][k] for k in before if k in plain["by_fold_seed"][0]} == {
        k: v for k, v in before.items() if k != "share_decided_by_whole_text"
    }


def test_whole_text_pieces_must_extend_the_first_ones(small_examples: list[TrainingExample]) -> None:
    config = TrainConfig(use_embeddings=True, whole_text_pieces=(400, 500, 500))
    with pytest.raises(InputError, match="must start with"):
        example_whole_vectors(small_examples[:2], config, LetterEmbedder().embed_passages)
    assert (
        example_whole_vectors(small_examples[:2], TrainConfig(use_embeddings=True, whole_text_band=0), None)
        is None
    )


def test_a_version_is_scored_by_name_promoted_or_not(cascade_dir: Path, shared_dir: Path) -> None:
    """`vigie evaluate models --blind-models <version>`'s path, here on seed texts (never the blind split)."""
    from vigie.model_evaluation import evaluate_blind

    seed = load_jsonl_examples(shared_dir / "data" / "annotations-seed" / "seed.jsonl", "seed")[80:120]
    report = evaluate_blind(cascade_dir, seed, LetterEmbedder(), None, rounds=0, version="vwhole")
    assert report["version"] == "vwhole" and report["n"] == 40
    assert 0 <= report["figures"]["initiative_f1"] <= 1
    with pytest.raises(ModelError, match="vnone"):
        evaluate_blind(cascade_dir, seed, LetterEmbedder(), None, rounds=0, version="vnone")
