"""Model artefacts on disk: models/<task>/<version>/ (model.joblib, meta.json, MODEL_CARD.md) and CURRENT."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib

from core.errors import ModelError

log = logging.getLogger(__name__)

TASKS: tuple[str, ...] = ("initiative", "qpv", "types", "doc_kind")
# The TF-IDF-only first stage of the initiative cascade, present when the models use embeddings, and
# (since v10) its last stage, the whole-text initiative model deciding the texts near the threshold.
WHOLE_TEXT_TASK = "initiative_whole"
OPTIONAL_TASKS: tuple[str, ...] = ("initiative_fast", WHOLE_TEXT_TASK)
CURRENT_FILE = "CURRENT.json"


@dataclass
class StoredModel:
    """A loaded model with its metadata."""

    task: str
    version: str
    estimator: Any
    meta: dict[str, Any]


def _atomic_write(path: Path, text: str) -> None:
    """Write a file so readers see the old or the new content, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def save_model(model_dir: Path, task: str, version: str, estimator: Any, meta: dict[str, Any]) -> Path:
    """Write one model version with its meta.json and model card; returns its folder."""
    folder = model_dir / task / version
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / ".model.joblib.tmp"
    joblib.dump(estimator, tmp, compress=3)
    os.replace(tmp, folder / "model.joblib")
    _atomic_write(folder / "meta.json", json.dumps(meta, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    _atomic_write(folder / "MODEL_CARD.md", render_model_card(task, version, meta))
    return folder


def render_model_card(task: str, version: str, meta: dict[str, Any]) -> str:
    """A short human-readable card: what the model does, data, metrics, limits."""
    metrics = meta.get("cv_metrics", {})
    lines = [
        f"# Model card: {task} {version}",
        "",
        f"- Task: {meta.get('description', task)}",
        f"- Estimator: {meta.get('estimator')} (features: {meta.get('features')})",
        f"- Training data: {meta.get('n_examples')} examples, sha256 {meta.get('data_hash', '')[:16]}...",
        f"- Sources: {', '.join(meta.get('data_origins', []))}",
        f"- Thresholds: {json.dumps(meta.get('thresholds', {}), ensure_ascii=False)}",
        "- Cross-validated metrics (grouped 5-fold by source site and initiative name):",
    ]
    lines += [f"  - {k}: {v}" for k, v in metrics.items() if not isinstance(v, dict | list)]
    lines += [
        "",
        "Limits: trained on short French excerpts (single annotator seed set plus the team's examples);",
        "non-French texts are not classified; scores on very long pages come from their best passage.",
        "",
    ]
    return "\n".join(lines)


def read_current(model_dir: Path) -> dict[str, str]:
    """The promoted version of each task ({} when nothing was promoted)."""
    path = model_dir / CURRENT_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path} is not valid JSON", hint="fix it or run `vigie train --promote`") from exc
    return {str(k): str(v) for k, v in data.items()}


def promote(model_dir: Path, versions: dict[str, str]) -> dict[str, str]:
    """Point CURRENT at the given versions (others unchanged); returns the new pointer."""
    for task, version in versions.items():
        if not (model_dir / task / version / "model.joblib").exists():
            raise ModelError(
                f"no model {task}/{version} in {model_dir}", hint="train it first (`vigie train`)"
            )
    current = read_current(model_dir) | versions
    _atomic_write(model_dir / CURRENT_FILE, json.dumps(current, indent=2, sort_keys=True) + "\n")
    log.info("promoted models=%s", versions)
    return current


def load_model(model_dir: Path, task: str, version: str | None = None) -> StoredModel:
    """Load a task's promoted (or given) version."""
    version = version or read_current(model_dir).get(task)
    if version is None:
        raise ModelError(
            f"no promoted {task} model in {model_dir}",
            hint="run `vigie train --promote` or set VIGIE_MODEL_DIR to a folder with CURRENT.json",
        )
    folder = model_dir / task / version
    try:
        estimator = joblib.load(folder / "model.joblib")
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, EOFError, ImportError, AttributeError) as exc:
        raise ModelError(
            f"cannot load model {task}/{version} from {folder}: {exc}",
            hint="retrain with `vigie train --promote` (library versions may have changed)",
        ) from exc
    return StoredModel(task, version, estimator, meta)
