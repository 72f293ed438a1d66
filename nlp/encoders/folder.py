"""An encoder folder on disk: its metadata (`vigie_encoder.json`) and the name its vectors are cached by."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from core.errors import ConfigError

META_FILE = "vigie_encoder.json"
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.onnx", "model_quantized.onnx")


def publish_folder(work: Path, out_dir: Path) -> None:
    """Move a finished build folder to `out_dir`, replacing it: the folder appears whole, or not at all."""
    if out_dir.exists():
        shutil.rmtree(out_dir)
    work.chmod(0o755)
    work.rename(out_dir)


def require_folder(folder: Path, *needed: str) -> Path:
    """`folder` if it holds every file in `needed`, else a ConfigError naming the fix."""
    if not folder.is_dir():
        raise ConfigError(
            f"encoder folder not found: {folder}",
            hint="set VIGIE_ENCODER_DIR to a folder made by `vigie encoder build` (or train/export)",
        )
    missing = [name for name in needed if not (folder / name).exists()]
    if missing:
        raise ConfigError(
            f"encoder folder {folder} lacks {', '.join(missing)}",
            hint="rebuild it with `vigie encoder build`, `vigie encoder train` or `vigie encoder export`",
        )
    return folder


def read_encoder_meta(folder: Path) -> dict[str, Any]:
    """The folder's `vigie_encoder.json` ({} when the folder comes from elsewhere)."""
    path = folder / META_FILE
    if not path.exists():
        return {}
    try:
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"unreadable {path}: {exc}", hint="rebuild the encoder folder") from exc
    return meta


def write_encoder_meta(folder: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """Write `vigie_encoder.json`, adding the weights' fingerprint; return what was written."""
    meta = dict(meta) | {"weights_sha256": hash_weights(folder)}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta


def hash_weights(folder: Path) -> str:
    """SHA-256 over the folder's weight files (names and bytes)."""
    digest = hashlib.sha256()
    for name in WEIGHT_FILES:
        path = folder / name
        if path.exists():
            digest.update(name.encode())
            with path.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


def encoder_name(folder: Path, backend: str) -> str:
    """Cache-key name: backend, model name and weights fingerprint (new weights never reuse old vectors)."""
    meta = read_encoder_meta(folder)
    fingerprint = meta.get("weights_sha256") or hash_weights(folder)
    return f"{backend}:{meta.get('name', folder.name)}:{fingerprint[:12]}"
