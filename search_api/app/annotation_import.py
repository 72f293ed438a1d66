"""External labels through the annotation workflow: import, pairwise agreement, adjudication, export.

Label files are JSONL in the seed's record format (``id`` plus label fields); only the label fields are
read, never a ``text``. The texts an imported label refers to must exist as documents: ``import_documents``
stores them from a text file read at run time (e.g. the shared pool), so ids and labels flow through
Vigie's own agreement page and adjudication, and ``export_adjudicated`` writes ids and labels only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain import INNOVATION_TYPES
from core.errors import InputError, NotFoundError
from core.jsonl import JsonlError, iter_jsonl_file
from core.storage.tables import AnnotationRow, PageRow
from search_api.app import annotation

log = logging.getLogger(__name__)

LABEL_FIELDS: tuple[str, ...] = (
    "is_initiative",
    "in_qpv",
    "innovation_types",
    "doc_kind",
    "initiatives",  # further initiatives of the text (search_api.app.annotation.clean_initiatives)
    "communes",
    "qpv_mentions",
)
IMPORTED_SOURCE = "label-import"


@dataclass
class LabelLine:
    """One record of a label file: a document id and its label fields."""

    doc_id: str
    labels: dict[str, Any]
    line: int


@dataclass
class ImportReport:
    """What an import did: lines read, labels stored, documents created, lines left out or refused."""

    read: int = 0
    imported: int = 0
    documents_created: int = 0
    left_out: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {
            "read": self.read,
            "imported": self.imported,
            "documents_created": self.documents_created,
            "left_out": self.left_out,
            "errors": self.errors,
        }


def read_id_list(path: Path) -> set[str]:
    """Ids of a one-id-a-line file (blank lines ignored)."""
    if not path.is_file():
        raise InputError(f"id list not found: {path}", hint="pass a file with one id per line")
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def iter_objects(path: Path, errors: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) of a JSONL file (``core.jsonl``); a bad line goes to ``errors``, skipped."""
    for item in iter_jsonl_file(path):
        if isinstance(item, JsonlError):
            errors.append(f"{path.name}:{item.line}: {item.reason}")
            continue
        record = item.value
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            errors.append(f"{path.name}:{item.line}: a record needs a string 'id'")
            continue
        yield item.line, record


def read_label_file(
    path: Path, wanted: Collection[str] | None = None, excluded: Collection[str] = ()
) -> tuple[list[LabelLine], ImportReport]:
    """Label lines of ``path`` (ids in ``wanted`` if given, never in ``excluded``); texts are not read."""
    report = ImportReport()
    lines: list[LabelLine] = []
    for number, record in iter_objects(path, report.errors):
        report.read += 1
        doc_id = record["id"]
        if (wanted is not None and doc_id not in wanted) or doc_id in excluded:
            report.left_out += 1
            continue
        labels = {k: record[k] for k in LABEL_FIELDS if k in record}
        lines.append(LabelLine(doc_id, labels, number))
    return lines, report


def import_documents(session: Session, texts_path: Path, ids: Collection[str]) -> int:
    """Store as documents the records of ``texts_path`` whose id is in ``ids`` and not yet stored.

    The text is read from ``texts_path`` at run time into the database (never into the repository).
    Imported documents get no analysis, so they stay out of the annotators' active-learning queue.
    """
    missing = set(ids) - set(session.scalars(select(PageRow.id).where(PageRow.id.in_(list(ids)))))
    if not missing:
        return 0
    errors: list[str] = []
    created = 0
    for _, record in iter_objects(texts_path, errors):
        doc_id = record["id"]
        if doc_id not in missing or not isinstance(record.get("text"), str):
            continue
        url = record.get("url") if isinstance(record.get("url"), str) else None
        session.add(PageRow(id=doc_id, url=url, text=record["text"], lang="fr", source=IMPORTED_SOURCE))
        missing.discard(doc_id)
        created += 1
    session.commit()
    for problem in errors:
        log.warning("text file line skipped %s", problem)
    if missing:
        log.warning("documents not found in text file path=%s count=%d", texts_path, len(missing))
    return created


def import_labels(
    session: Session, lines: Sequence[LabelLine], annotator: str, report: ImportReport
) -> ImportReport:
    """Store each line as ``annotator``'s labels; a bad line is reported and never stops the others."""
    if annotator == annotation.ADJUDICATION:
        raise InputError(
            f"{annotator!r} is reserved for adjudicated labels", hint="import under an annotator's name"
        )
    for item in lines:
        try:
            annotation.save_annotation(session, item.doc_id, annotator, item.labels, origin="import")
        except (InputError, NotFoundError) as exc:
            session.rollback()
            report.errors.append(f"line {item.line} ({item.doc_id}): {exc}")
            continue
        report.imported += 1
    log.info(
        "labels imported annotator=%s imported=%d errors=%d", annotator, report.imported, len(report.errors)
    )
    return report


def labels_by_doc(session: Session, annotator: str) -> dict[str, dict[str, Any]]:
    """The stored labels of one annotator (or of ``adjudication``), by document id."""
    rows = session.scalars(select(AnnotationRow).where(AnnotationRow.annotator == annotator))
    return {row.doc_id: dict(row.labels or {}) for row in rows}


def complete_decision(decision: dict[str, Any], base: dict[str, Any] | None) -> dict[str, Any]:
    """Final labels of one adjudication: the given fields over ``base``'s; non-initiatives carry no place."""
    labels = {k: v for k, v in (base or {}).items() if k in LABEL_FIELDS}
    labels |= {k: decision[k] for k in LABEL_FIELDS if k in decision}
    if labels.get("is_initiative") is False:  # the seed's definitions: null/empty for non-initiatives
        labels |= {"in_qpv": None, "innovation_types": [], "communes": []}
    if "innovation_types" in labels:
        labels["innovation_types"] = [t for t in INNOVATION_TYPES if t in labels["innovation_types"]]
    return labels


def adjudicate_file(session: Session, path: Path, actor: str) -> ImportReport:
    """Record the decisions of a JSONL file (``id``, optional ``base`` annotator, label fields); audited."""
    report = ImportReport()
    for number, record in iter_objects(path, report.errors):
        report.read += 1
        base = None
        if record.get("base"):
            base = labels_by_doc(session, str(record["base"])).get(record["id"])
            if base is None:
                report.errors.append(f"line {number} ({record['id']}): no labels by {record['base']!r}")
                continue
        try:
            annotation.adjudicate(session, record["id"], actor, complete_decision(record, base))
        except (InputError, NotFoundError) as exc:
            session.rollback()
            report.errors.append(f"line {number} ({record['id']}): {exc}")
            continue
        report.imported += 1
    return report


def changed_fields(final: dict[str, Any], first: dict[str, Any]) -> dict[str, Any]:
    """The label fields of ``final`` whose value differs from ``first`` (communes compared normalised)."""
    out: dict[str, Any] = {}
    for key in LABEL_FIELDS:
        if key not in final:
            continue
        if key == "communes":
            same = {annotation.commune_key(c) for c in final[key] or []} == {
                annotation.commune_key(c) for c in first.get(key) or []
            }
        elif key in ("innovation_types", "qpv_mentions"):
            same = sorted(final[key] or []) == sorted(first.get(key) or [])
        else:
            same = final[key] == first.get(key)
        if not same:
            out[key] = final[key]
    return out


def export_adjudicated(
    session: Session, against: str | None = None, source: str | None = None
) -> list[dict[str, Any]]:
    """Adjudicated labels as records (ids and labels, no text).

    With ``against``, only documents whose final labels differ from that annotator's, with only the
    differing fields: the corrections to apply on top of that annotator's labels.
    """
    first = labels_by_doc(session, against) if against else {}
    records = []
    for doc_id, final in sorted(labels_by_doc(session, annotation.ADJUDICATION).items()):
        fields = {k: final[k] for k in LABEL_FIELDS if k in final}
        if against:
            if doc_id not in first:
                continue
            fields = changed_fields(fields, first[doc_id])
            if not fields:
                continue
        records.append({"id": doc_id, **fields, **({"source": source} if source else {})})
    return records


def write_jsonl(records: Sequence[dict[str, Any]], path: Path) -> None:
    """Write records atomically (a temporary file renamed into place: nothing half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    tmp.replace(path)
