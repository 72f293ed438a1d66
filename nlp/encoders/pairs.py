"""Training pairs for the encoder from Vigie's real labelled texts: the seed and the pool's DEV ids only.

Blind ids (`data/splits/pool-blind.txt`) are never parsed: a pool line is skipped on its id, read from the
line's start, before its JSON (text, labels) is decoded. Training queries come from
``data/queries/encoder_dev_queries.jsonl`` (written for pool dev texts of the training part) or files named
on the command line; a file whose name says "blind" or "analyst" (the evaluation sets) is refused.

Two kinds of pairs:
- **label pairs** (SetFit-style, for the classifiers): two texts' first 500 characters with the "passage: "
  prefix the classifiers embed with, and a target similarity from their labels: 0.5 x same
  ``is_initiative`` + 0.25 x same ``doc_kind`` + 0.25 x Jaccard of ``innovation_types`` (1 when both have
  none). Trained with a cosine-similarity loss.
- **query pairs** (for search): a need-style query ("query: ") and a passage it answers (grade 2), trained
  with in-batch negatives (multiple-negatives ranking loss).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError, InputError
from core.settings import PROJECT_ROOT, SHARED_DIR
from nlp.classifiers.examples import TrainingExample, assign_groups, parse_example

PIECE_CHARS = 500  # the classifiers' first embedding piece (nlp.classifiers, v4 onwards)
PASSAGE_CHARS = 1500  # what search embeds of a document (search_api.engines.embedding_cache)
SPLITS_DIR = PROJECT_ROOT / "data" / "splits"
QUERIES_DIR = PROJECT_ROOT / "data" / "queries"
TRAIN_QUERIES = QUERIES_DIR / "encoder_dev_queries.jsonl"
# Query sets that measure search (analyst_open/_blind/_queries): never training data.
EVALUATION_MARKERS = ("blind", "analyst")
DEFAULT_POOL = SHARED_DIR / "data" / "annotations-pool" / "pool.jsonl"
_ID_AT_START = re.compile(r'^\s*\{\s*"id"\s*:\s*"([^"]+)"')
WEIGHTS = {"is_initiative": 0.5, "doc_kind": 0.25, "innovation_types": 0.25}


@dataclass(frozen=True)
class Pair:
    """Two prefixed texts and a target: a similarity in [0, 1] (label pairs) or None (query pairs)."""

    first: str
    second: str
    target: float | None
    ids: tuple[str, str]


def split_holdout(
    texts: list[TrainingExample], share: float
) -> tuple[list[TrainingExample], list[TrainingExample]]:
    """(training, held out): whole groups held out by the classifiers' stable group hash (share 0: none).

    The comparison of encoders (`nlp.encoders.compare`) fits its heads on the training part and scores
    them on the held-out part, which the fine-tuned encoder never saw.
    """
    if share <= 0:
        return list(texts), []
    import numpy as np

    from nlp.classifiers.evaluation import holdout_mask

    mask = holdout_mask(np.array([t.group for t in texts], dtype=object), share)
    return [t for t, m in zip(texts, mask, strict=True) if not m], [
        t for t, m in zip(texts, mask, strict=True) if m
    ]


def read_id_list(path: Path) -> set[str]:
    """Ids of a split file, one a line."""
    try:
        return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    except OSError as exc:
        raise ConfigError(
            f"cannot read the split file {path}: {exc}", hint="run from the repository"
        ) from exc


def load_real_texts(
    seed_file: Path | None,
    pool_file: Path | None = DEFAULT_POOL,
    dev_ids_file: Path = SPLITS_DIR / "pool-dev.txt",
    blind_ids_file: Path = SPLITS_DIR / "pool-blind.txt",
) -> list[TrainingExample]:
    """Seed texts plus the pool's dev texts; blind pool lines are skipped unread."""
    dev, blind = read_id_list(dev_ids_file), read_id_list(blind_ids_file)
    if dev & blind:
        raise ConfigError(
            f"{len(dev & blind)} ids are both dev and blind", hint="restore data/splits from the repository"
        )
    texts = list(_read_records(seed_file, "seed", keep=None, blind=blind)) if seed_file else []
    if pool_file is not None and pool_file.exists():
        texts += _read_records(pool_file, "pool-dev", keep=dev, blind=blind)
    if not texts:
        raise ConfigError("no labelled texts found", hint="set VIGIE_SEED_ANNOTATIONS and --pool-file")
    return assign_groups(texts)  # site + initiative name, as the classifiers' folds


def _read_records(
    path: Path, origin: str, keep: set[str] | None, blind: set[str]
) -> Iterable[TrainingExample]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}", hint="check the annotation file paths") from exc
    for number, line in enumerate(lines, start=1):
        match = _ID_AT_START.match(line)
        if match is None:
            if line.strip():
                raise InputError(f"{path}:{number}: a record must start with its id", hint='{"id": ...}')
            continue
        record_id = match.group(1)
        if record_id in blind or (keep is not None and record_id not in keep):
            continue  # never decoded
        try:
            yield parse_example(json.loads(line), origin)
        except (ValueError, InputError) as exc:
            raise InputError(f"{path}:{number}: bad annotation line ({exc})", hint="fix the line") from exc


def label_similarity(a: TrainingExample, b: TrainingExample) -> float:
    """Target cosine of two texts from their labels (weights in `WEIGHTS`)."""
    types_a, types_b = set(a.innovation_types), set(b.innovation_types)
    union = types_a | types_b
    jaccard = len(types_a & types_b) / len(union) if union else 1.0
    return (
        WEIGHTS["is_initiative"] * (a.is_initiative == b.is_initiative)
        + WEIGHTS["doc_kind"] * (a.doc_kind == b.doc_kind)
        + WEIGHTS["innovation_types"] * jaccard
    )


def make_label_pairs(texts: list[TrainingExample], per_text: int, seed: int) -> list[Pair]:
    """`per_text` partners per text, half with its `is_initiative` label, half not; never in its group."""
    rng = random.Random(seed)
    by_label: dict[bool, list[TrainingExample]] = {True: [], False: []}
    for text in texts:
        by_label[text.is_initiative].append(text)
    pairs = []
    for text in texts:
        for k in range(per_text):
            pool = by_label[text.is_initiative if k % 2 == 0 else not text.is_initiative]
            partner = rng.choice(pool)
            for _ in range(5):  # near-duplicates of one site or initiative would teach nothing
                if partner.group != text.group:
                    break
                partner = rng.choice(pool)
            if partner.group == text.group:
                continue
            pairs.append(
                Pair(
                    "passage: " + text.text[:PIECE_CHARS],
                    "passage: " + partner.text[:PIECE_CHARS],
                    label_similarity(text, partner),
                    (text.id, partner.id),
                )
            )
    rng.shuffle(pairs)
    return pairs


def check_training_query_files(files: list[Path]) -> list[Path]:
    """Refuse query sets that measure search (blind or analyst sets): training on them would leak."""
    for path in files:
        if any(marker in path.name.lower() for marker in EVALUATION_MARKERS):
            raise ConfigError(
                f"{path} is an evaluation query set", hint=f"train on {TRAIN_QUERIES.name} or your own set"
            )
        if not path.exists():
            raise ConfigError(f"query file {path} does not exist", hint="check --queries")
    return files


def make_query_pairs(files: list[Path], texts: list[TrainingExample], seed: int) -> list[Pair]:
    """(query, passage) for every passage graded 2 that is among `texts` (seed and dev: never blind)."""
    check_training_query_files(files)
    by_id = {t.id: t for t in texts}
    pairs = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                query, relevant = str(item["query"]), dict(item["relevant"])
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(
                    f"{path}:{number}: bad query line ({exc})", hint="see data/queries/README.md"
                ) from exc
            for doc_id, grade in sorted(relevant.items()):
                if grade >= 2 and doc_id in by_id:
                    passage = "passage: " + by_id[doc_id].text[:PASSAGE_CHARS]
                    pairs.append(Pair("query: " + query, passage, None, ("query", doc_id)))
    random.Random(seed).shuffle(pairs)
    return pairs
