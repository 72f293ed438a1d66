"""The real labelled pool: its frozen dev/blind split, label corrections, and its examples by part.

The pool (`VIGIE_POOL_ANNOTATIONS`, read by path, never copied) is split once into dev ids (training and
model choice) and blind ids (scored once per promoted model) by `data/splits/` (`VIGIE_SPLITS_DIR`).
Corrections (`data/annotations/pool-corrections.jsonl`: `{"id": "pl0123", <label fields>}`) override the
pool's labels on load, for both parts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from core.errors import InputError
from core.jsonl import JsonlError, iter_jsonl_file
from nlp.classifiers.examples import TrainingExample, parse_example

log = logging.getLogger(__name__)

DEV_FILE = "pool-dev.txt"
BLIND_FILE = "pool-blind.txt"
CORRECTIONS_FILE = "pool-corrections.jsonl"
# Label fields a correction may override (the record format of data/annotations/README.md).
CORRECTABLE = frozenset(
    {
        "is_initiative",
        "in_qpv",
        "innovation_types",
        "doc_kind",
        "qpv_mentions",
        "communes",
        "initiative_names",
        "carriers",
        "notes",
    }
)
Part = Literal["dev", "blind"]


@dataclass(frozen=True)
class PoolSplit:
    """The frozen partition of the pool ids."""

    dev: frozenset[str]
    blind: frozenset[str]


def _read_ids(path: Path) -> frozenset[str]:
    if not path.is_file():
        raise InputError(
            f"split file {path} not found",
            hint="set VIGIE_SPLITS_DIR to the folder holding pool-dev.txt and pool-blind.txt",
        )
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def load_split(splits_dir: Path) -> PoolSplit:
    """The dev and blind ids of `splits_dir`; fails when a file is missing or the parts overlap."""
    split = PoolSplit(_read_ids(splits_dir / DEV_FILE), _read_ids(splits_dir / BLIND_FILE))
    both = split.dev & split.blind
    if both:
        raise InputError(
            f"{len(both)} ids are both dev and blind in {splits_dir} (e.g. {sorted(both)[0]})",
            hint="rebuild the split with scripts/make_pool_split.py",
        )
    return split


# Where a correction came from ("adjudicated 2026-12-06"): kept in the file, never applied as a label.
PROVENANCE = frozenset({"source"})


def load_corrections(path: Path) -> dict[str, dict[str, Any]]:
    """Label overrides by pool id ({} when the file does not exist); a bad line fails with its number."""
    if not path.is_file():
        return {}
    out: dict[str, dict[str, Any]] = {}
    for item in iter_jsonl_file(path):
        number = item.line
        if isinstance(item, JsonlError):
            raise InputError(f"{path}:{number}: not JSON ({item.reason})", hint="fix or remove the line")
        record = item.value
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise InputError(f"{path}:{number}: a correction needs a string id", hint='{"id": "pl0123", ...}')
        unknown = sorted(set(record) - CORRECTABLE - PROVENANCE - {"id"})
        if unknown:
            raise InputError(
                f"{path}:{number}: fields {unknown} cannot be corrected",
                hint=f"use only {', '.join(sorted(CORRECTABLE))}",
            )
        fields = {k: v for k, v in record.items() if k in CORRECTABLE}
        out.setdefault(record["id"], {}).update(fields)
    return out


def iter_pool_records(pool_path: Path, corrections: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every pool record with its corrections applied."""
    if not pool_path.is_file():
        raise InputError(f"pool file {pool_path} not found", hint="set VIGIE_POOL_ANNOTATIONS to pool.jsonl")
    records = []
    for item in iter_jsonl_file(pool_path):
        if isinstance(item, JsonlError):
            raise InputError(f"{pool_path}:{item.line}: not JSON ({item.reason})", hint="fix the pool file")
        records.append(item.value | corrections.get(str(item.value.get("id")), {}))
    unused = set(corrections) - {str(r.get("id")) for r in records}
    if unused:
        log.warning("corrections for unknown pool ids count=%d e.g.=%s", len(unused), sorted(unused)[0])
    return records


def load_pool_examples(
    pool_path: Path, splits_dir: Path, part: Part, corrections_path: Path | None = None
) -> list[TrainingExample]:
    """The pool's examples of one part of the split (labels corrected); ids in neither part are left out."""
    split = load_split(splits_dir)
    keep = split.dev if part == "dev" else split.blind
    corrections = load_corrections(corrections_path) if corrections_path is not None else {}
    examples = []
    for number, record in enumerate(iter_pool_records(pool_path, corrections), start=1):
        if str(record.get("id")) not in keep:
            continue
        try:
            examples.append(parse_example(record, f"pool/{part}"))
        except InputError as exc:
            raise InputError(f"{pool_path}:{number}: bad pool record ({exc})", hint=exc.hint) from exc
    log.info("pool examples part=%s count=%d corrections=%d", part, len(examples), len(corrections))
    return examples


def drop_blind(examples: list[TrainingExample], splits_dir: Path) -> list[TrainingExample]:
    """The examples minus any blind id (a guard on every training path: training never sees one)."""
    if not (splits_dir / BLIND_FILE).is_file():
        return examples
    blind = _read_ids(splits_dir / BLIND_FILE)
    kept = [e for e in examples if e.id not in blind]
    if len(kept) < len(examples):
        log.warning("blind ids left out of training count=%d", len(examples) - len(kept))
    return kept
