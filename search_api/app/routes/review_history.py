"""The audit trail in French for the history tables: "détecté → corrigé", with QPV and commune names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from search_api.app.places import DERIVED_FIELDS, PlaceDirectory
from search_api.app.routes.rendering import STATUS_LABELS

FIELD_LABELS = {
    "status": "Statut",
    "reason": "Motif",
    "name": "Nom de l'initiative",
    "carrier": "Porteur",
    "commune": "Commune",
    "qpv_code": "QPV",
    "innovation_types": "Types",
    "is_initiative": "Initiative",
    "in_qpv": "En QPV",
    "place_mismatch_assumed": "Incohérence QPV / commune assumée",
}


@dataclass(frozen=True)
class Change:
    """One field an audited action changed, as the history shows it."""

    field: str
    label: str
    before: str
    after: str
    detected: bool  # the value before is the analysis's (no correction yet)


def format_value(key: str, value: Any, places: PlaceDirectory | None) -> str:
    """A stored value in French: names for QPVs, oui/non for booleans, a dash for nothing."""
    if value is None or value == [] or value == "":
        return "—"
    if key == "status":
        return STATUS_LABELS.get(str(value), str(value))
    if isinstance(value, bool):
        return "oui" if value else "non"
    if key == "qpv_code" and places is not None:
        return places.qpv_label(str(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def describe_changes(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    detected: Mapping[str, Any] | None,
    places: PlaceDirectory | None,
) -> list[Change]:
    """The changes of one audit entry; a field corrected for the first time shows its detected value."""
    old, new = dict(before or {}), dict(after or {})
    old_fixes, new_fixes = dict(old.pop("corrections", None) or {}), dict(new.pop("corrections", None) or {})
    changes = []
    for key in ("status", "reason"):
        if old.get(key) != new.get(key):
            changes.append(Change(key, FIELD_LABELS[key], format_value(key, old.get(key), places),
                                  format_value(key, new.get(key), places), False))  # fmt: skip
    for key in sorted(set(old_fixes) | set(new_fixes), key=lambda k: list(FIELD_LABELS).index(k)
                      if k in FIELD_LABELS else 99):  # fmt: skip
        if key in DERIVED_FIELDS:
            continue
        from_detection = key not in old_fixes and detected is not None
        was = detected.get(key) if from_detection and detected is not None else old_fixes.get(key)
        now = new_fixes[key] if key in new_fixes else (detected or {}).get(key)
        if was == now and key in old_fixes and key in new_fixes:
            continue
        changes.append(Change(key, FIELD_LABELS.get(key, key), format_value(key, was, places),
                              format_value(key, now, places), from_detection))  # fmt: skip
    return changes


def history_changes(
    entries: Iterable[Any], detected: Mapping[str, Mapping[str, Any]], places: PlaceDirectory | None
) -> dict[int, list[Change]]:
    """Per audit entry id, its changes (``detected``: the detected values of each document)."""
    return {
        e.id: describe_changes(e.before, e.after, detected.get(e.doc_id) if e.doc_id else None, places)
        for e in entries
    }
