"""Measure the linker against annotated texts: commune precision/recall/F1 and in-QPV accuracy."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import InputError
from core.ids import check_half, in_half
from core.jsonl import JsonlError, iter_jsonl_file
from nlp.geo.foreign import lookup_foreign
from nlp.geo.linker import GeoLinker
from nlp.geo.normalise import name_key
from nlp.geo.results import REPORT_THRESHOLD

logger = logging.getLogger(__name__)

COMMUNE_THRESHOLD = REPORT_THRESHOLD  # communes at least this sure count as "where the initiative is"


@dataclass
class GeoScores:
    """Counts and derived figures of one evaluation run."""

    documents: int = 0
    initiatives: int = 0
    commune_tp: int = 0
    commune_fp: int = 0
    commune_fn: int = 0
    strict_tp: int = 0  # the same counts with communes compared by normalised name only
    strict_fp: int = 0
    strict_fn: int = 0
    qpv_total: int = 0
    qpv_correct: int = 0
    qpv_undecided: int = 0
    # In-QPV as the headline scores it: every gold initiative, "in a QPV" = gold in_qpv true (false and
    # unknown are negatives), predicted = the linker says true (a foreign text never is).
    qpv_tp: int = 0
    qpv_fp: int = 0
    qpv_fn: int = 0
    skipped: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.commune_tp / max(1, self.commune_tp + self.commune_fp)

    @property
    def recall(self) -> float:
        return self.commune_tp / max(1, self.commune_tp + self.commune_fn)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def strict_f1(self) -> float:
        """F1 with gold and predicted communes compared by name (case, accents, hyphens folded)."""
        return 2 * self.strict_tp / max(1, 2 * self.strict_tp + self.strict_fp + self.strict_fn)

    @property
    def in_qpv_accuracy(self) -> float:
        return self.qpv_correct / max(1, self.qpv_total)

    @property
    def in_qpv_precision(self) -> float:
        """Of the initiatives the linker puts in a QPV, the share whose gold says so."""
        return self.qpv_tp / max(1, self.qpv_tp + self.qpv_fp)

    @property
    def in_qpv_recall(self) -> float:
        """Of the gold initiatives in a QPV, the share the linker puts in one."""
        return self.qpv_tp / max(1, self.qpv_tp + self.qpv_fn)

    @property
    def in_qpv_f1(self) -> float:
        """F1 of "this initiative is in a QPV" over all gold initiatives (unknown gold = not in a QPV)."""
        return 2 * self.qpv_tp / max(1, 2 * self.qpv_tp + self.qpv_fp + self.qpv_fn)

    def as_dict(self) -> dict[str, Any]:
        """Figures for printing or JSON output."""
        return {
            "documents": self.documents,
            "initiatives": self.initiatives,
            "commune_precision": round(self.precision, 4),
            "commune_recall": round(self.recall, 4),
            "commune_f1": round(self.f1, 4),
            "commune_f1_strict_names": round(self.strict_f1, 4),
            "in_qpv_accuracy": round(self.in_qpv_accuracy, 4),
            "in_qpv_evaluated": self.qpv_total,
            "in_qpv_undecided": self.qpv_undecided,
            "in_qpv_precision": round(self.in_qpv_precision, 4),
            "in_qpv_recall": round(self.in_qpv_recall, 4),
            "in_qpv_f1": round(self.in_qpv_f1, 4),
            "skipped_records": self.skipped,
        }


def iter_records(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Annotation records from JSONL files; a bad line is logged and skipped, a missing file is an error."""
    for path in paths:
        if not path.is_file():
            raise InputError(f"annotation file not found: {path}", hint="pass an existing .jsonl file")
        for item in iter_jsonl_file(path):
            if isinstance(item, JsonlError):
                logger.warning("bad annotation line file=%s line=%d error=%s", path, item.line, item.reason)
            elif isinstance(item.value, dict) and isinstance(item.value.get("text"), str):
                yield item.value
            else:
                logger.warning("annotation line without text file=%s line=%d", path, item.line)


POOL_PARTS = ("dev",)  # the blind part is scored once, in aggregate, by the split's holder: never here


def iter_pool_part(
    pool_path: Path, splits_dir: Path, part: str, corrections_path: Path | None = None
) -> Iterator[dict[str, Any]]:
    """The pool's records of one part of the frozen split (``dev`` only), their label corrections applied.

    Lines are read one at a time and a record whose id is not a dev id is dropped at once: a blind
    text is never kept, returned or logged. ``blind`` is refused (the split's holder scores it once,
    in aggregate, with `vigie evaluate models`).
    """
    from nlp.classifiers.pool import load_corrections, load_split

    if part not in POOL_PARTS:
        raise InputError(
            f"pool part {part!r} cannot be scored here",
            hint="use --pool dev; the blind ids are scored once, by the split's holder (evaluate models)",
        )
    if not pool_path.is_file():
        raise InputError(f"pool file {pool_path} not found", hint="set VIGIE_POOL_ANNOTATIONS to pool.jsonl")
    split = load_split(splits_dir)
    keep = split.dev
    corrections = load_corrections(corrections_path) if corrections_path is not None else {}
    return _iter_pool(pool_path, keep, split.blind, {k: v for k, v in corrections.items() if k in keep})


def _iter_pool(
    pool_path: Path, keep: frozenset[str], blind: frozenset[str], corrections: dict[str, dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for item in iter_jsonl_file(pool_path):
        if isinstance(item, JsonlError) or not isinstance(item.value, dict):
            continue  # a line we cannot read has no id to check: never reported (it may be a blind text)
        identifier = str(item.value.get("id"))
        if identifier not in keep:
            continue
        assert identifier not in blind  # the split's parts are disjoint (load_split checked it)
        record = item.value | corrections.get(identifier, {})
        if isinstance(record.get("text"), str):
            yield record


def select_half(records: Iterable[dict[str, Any]], half: str) -> Iterator[dict[str, Any]]:
    """Records whose id ends in an even or odd number ("sd0002" is even), or all of them.

    Records without a numeric id are kept only for ``all``. Checked at once, records read lazily.
    """
    check_half(half)
    return _iter_half(records, half)


def _iter_half(records: Iterable[dict[str, Any]], half: str) -> Iterator[dict[str, Any]]:
    return (record for record in records if in_half(str(record.get("id", "")), half))


def _gold_codes(linker: GeoLinker, name: str) -> set[str]:
    """Places a gold commune name may denote, through the gazetteer.

    Every commune of that name, the current commune of a former name (commune déléguée) or of a
    team alias ("Saint-Ouen" -> Saint-Ouen-sur-Seine, renamed in 2018), and a town abroad from the
    foreign table ("Molenbeek" -> BE:molenbeek saint jean). Names are compared folded: case, accents,
    hyphens, "Saint"/"St", and "lès"/"lez"/"les" are equal. A prediction matches a gold name when
    the gold name denotes the predicted commune: the same test read from either side.
    """
    key = _gold_key(name)
    codes = {e.code for e in linker.gazetteer.lookup(key) if e.kind in ("commune", "former")}
    place = lookup_foreign(key)
    if place is not None:
        codes.add(f"{place.country}:{place.key}")
    return codes or {f"unknown:{key}"}


def _gold_key(name: str) -> str:
    """A gold commune name folded, without its bracketed precision ("Saint-Denis (La Réunion)")."""
    return name_key(re.sub(r"\(.*?\)", " ", name))


def _strict_codes(_linker: GeoLinker, name: str) -> set[str]:
    """The old, strict comparison: the folded name itself ("Saint-Ouen" != "Saint-Ouen-sur-Seine")."""
    return {_gold_key(name)}


def _match_communes(
    linker: GeoLinker,
    gold_names: list[str],
    predicted: set[str],
    codes_of: Callable[[GeoLinker, str], set[str]] = _gold_codes,
) -> tuple[int, int, int]:
    """True positives, false positives, false negatives of predicted place ids against gold names."""
    gold = [codes_of(linker, n) for n in dict.fromkeys(gold_names) if n]
    matched: set[str] = set()
    tp = 0
    for codes in gold:
        hit = codes & (predicted - matched)
        if hit:
            tp += 1
            matched.add(sorted(hit)[0])
    return tp, len(predicted - matched), len(gold) - tp


def evaluate_geo(
    linker: GeoLinker,
    records: Iterable[dict[str, Any]],
    keep_errors: bool = False,
    parse: Callable[[str], Any] | None = None,
) -> GeoScores:
    """Score ``linker`` on annotation records (same format as the seed set).

    ``parse`` (e.g. a loaded spaCy pipeline) gives the Doc passed to ``link``, as the analysis does.
    """
    scores = GeoScores()
    for record in records:
        scores.documents += 1
        if not record.get("is_initiative"):
            continue
        scores.initiatives += 1
        text = record["text"]
        result = linker.link(text, doc=parse(text) if parse is not None else None, url=record.get("url"))
        sure = [c for c in result.communes if c.confidence >= COMMUNE_THRESHOLD]
        abroad = [p for p in result.foreign_places if p.confidence >= COMMUNE_THRESHOLD]
        predicted = {c.insee for c in sure} | {p.place_id for p in abroad}
        gold = list(record.get("communes") or [])
        tp, fp, fn = _match_communes(linker, gold, predicted)
        scores.commune_tp += tp
        scores.commune_fp += fp
        scores.commune_fn += fn
        names = {name_key(c.name) for c in sure} | {name_key(p.name) for p in abroad}
        tp, fp, fn = _match_communes(linker, gold, names, _strict_codes)
        scores.strict_tp += tp
        scores.strict_fp += fp
        scores.strict_fn += fn
        gold_qpv = record.get("in_qpv")
        said_qpv = result.in_qpv is True and not result.foreign
        scores.qpv_tp += int(said_qpv and gold_qpv is True)
        scores.qpv_fp += int(said_qpv and gold_qpv is not True)
        scores.qpv_fn += int(not said_qpv and gold_qpv is True)
        if gold_qpv is not None:
            scores.qpv_total += 1
            scores.qpv_correct += int(result.in_qpv is gold_qpv)
            scores.qpv_undecided += int(result.in_qpv is None)
        if keep_errors and (fp or fn or (gold_qpv is not None and result.in_qpv is not gold_qpv)):
            scores.errors.append(
                {
                    "id": record.get("id"),
                    "gold_communes": gold,
                    "predicted": [(c.name, c.confidence) for c in result.communes]
                    + [(f"{p.name} ({p.country})", p.confidence) for p in result.foreign_places],
                    "gold_in_qpv": gold_qpv,
                    "in_qpv": result.in_qpv,
                    "reason": result.in_qpv_reason,
                    "qpvs": [(q.name, q.commune, q.confidence) for q in result.qpvs],
                }
            )
    return scores
