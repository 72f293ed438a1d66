"""Labelled examples: read from JSONL files (seed, data/annotations) and from the database."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from core.domain import DOC_KINDS, INNOVATION_TYPES
from core.errors import InputError
from core.jsonl import JsonlError, iter_jsonl_file

log = logging.getLogger(__name__)


@dataclass
class TrainingExample:
    """One labelled text, in the seed's vocabulary."""

    id: str
    text: str
    is_initiative: bool
    in_qpv: bool | None = None
    innovation_types: list[str] = field(default_factory=list)
    doc_kind: str | None = None
    url: str | None = None
    initiative_names: list[str] = field(default_factory=list)
    origin: str = "file"
    # Towns where the initiative happens, as written (scores the geography; not a training label).
    communes: list[str] = field(default_factory=list)
    group: str = ""


def parse_example(record: dict[str, Any], origin: str) -> TrainingExample:
    """Validate one annotation record (see data/annotations/README.md)."""
    missing = [k for k in ("id", "text", "is_initiative") if k not in record]
    if missing:
        raise InputError(
            f"annotation record lacks {', '.join(missing)}", hint="see data/annotations/README.md"
        )
    types = [t for t in record.get("innovation_types") or [] if t in INNOVATION_TYPES]
    bad = set(record.get("innovation_types") or []) - set(types)
    if bad:
        raise InputError(f"unknown innovation types {sorted(bad)}", hint=f"use {', '.join(INNOVATION_TYPES)}")
    kind = record.get("doc_kind")
    if kind is not None and kind not in DOC_KINDS:
        raise InputError(f"unknown doc_kind {kind!r}", hint=f"use one of {', '.join(DOC_KINDS)}")
    return TrainingExample(
        id=str(record["id"]),
        text=str(record["text"]),
        is_initiative=bool(record["is_initiative"]),
        in_qpv=record.get("in_qpv"),
        innovation_types=types,
        doc_kind=kind,
        url=record.get("url"),
        initiative_names=list(record.get("initiative_names") or []),
        origin=origin,
        communes=[str(c) for c in record.get("communes") or []],
    )


def load_jsonl_examples(path: Path, origin: str) -> list[TrainingExample]:
    """All records of one JSONL file; a bad line fails with its line number."""
    examples: list[TrainingExample] = []
    for item in iter_jsonl_file(path):
        if isinstance(item, JsonlError):
            raise InputError(f"{path}:{item.line}: bad annotation line ({item.reason})", hint="fix the line")
        try:
            examples.append(parse_example(item.value, origin))
        except InputError as exc:
            raise InputError(
                f"{path}:{item.line}: bad annotation line ({exc})", hint="fix or remove the line"
            ) from exc
    return examples


def _norm_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def assign_groups(examples: Iterable[TrainingExample]) -> list[TrainingExample]:
    """Group examples by source site, merged when they share an initiative name (no fold leakage)."""
    items = list(examples)
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    for ex in items:
        host = urlsplit(ex.url).netloc.lower().removeprefix("www.") if ex.url else ""
        site = f"site:{host}" if host else f"id:{ex.id}"
        find(site)
        for name in ex.initiative_names:
            if len(_norm_name(name)) >= 4:
                union(site, f"name:{_norm_name(name)}")
        ex.group = site
    for ex in items:
        ex.group = find(ex.group)
    return items


def examples_hash(examples: Iterable[TrainingExample]) -> str:
    """A stable hash of the training data (texts and labels), recorded in meta.json."""
    digest = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: e.id):
        labels = [ex.id, ex.text, ex.is_initiative, ex.in_qpv, ex.innovation_types, ex.doc_kind]
        digest.update(json.dumps(labels, ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()
