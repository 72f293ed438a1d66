"""Writing JSONL inputs for the CLI tests, bad lines included."""

from __future__ import annotations

import json
from pathlib import Path


def write_jsonl(path: Path, rows: list[object]) -> Path:
    """Write rows (dicts are JSON-encoded, strings and bytes written as they are) one per line."""
    with path.open("wb") as handle:
        for row in rows:
            if isinstance(row, bytes):
                handle.write(row + b"\n")
            elif isinstance(row, str):
                handle.write(row.encode() + b"\n")
            else:
                handle.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
    return path
