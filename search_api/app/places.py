"""Places as the reviewer picks them: QPVs and communes by name, checked corrections, derived fields.

The reference data (`nlp.geo.reference.ReferenceData`, plugged in by the composition root) is read
through the small `ReferenceSource` protocol, loaded on first use. A place correction names a QPV code
and/or a commune; `derive_place_corrections` checks them (the code exists, QPV and commune agree unless
the reviewer assumes the mismatch) and returns the fields that follow: the QPV and commune records,
department and region codes. They are stored with the corrections, so the index, facets and exports
follow a correction, and undo restores them with the rest.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import InputError
from search_api.app.annotation import commune_key

QPV_CODE = re.compile(r"\b(Q[A-Z0-9]{6,9})\b")
COMMUNE_CODE = re.compile(r"\b(\d[0-9AB]\d{3})\b")
PLACE_FIELDS = ("qpv_code", "commune", "place_mismatch_assumed")
# Stored with the corrections, computed here: a client never sends them.
DERIVED_FIELDS = ("qpv", "communes", "department_codes", "region_codes")
MAX_SUGGESTIONS = 50


class CommuneLike(Protocol):
    """A commune of the reference (`nlp.geo.reference.Commune`)."""

    insee: str
    name: str
    dep_code: str
    reg_code: str
    population: int
    parent: str | None


class QpvLike(Protocol):
    """A QPV of the reference (`nlp.geo.reference.Qpv`)."""

    code: str
    name: str
    insees: tuple[str, ...]
    dep_code: str
    reg_code: str


class ReferenceSource(Protocol):
    """What the web app reads of the reference data."""

    @property
    def communes(self) -> Mapping[str, Any]: ...

    @property
    def qpvs(self) -> Mapping[str, Any]: ...

    @property
    def departments(self) -> Mapping[str, tuple[str, str]]: ...

    @property
    def regions(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class ResolvedPlace:
    """A checked place correction: the QPV and commune chosen (either may be None)."""

    qpv: Any | None
    commune: Any | None


class PlaceDirectory:
    """QPVs and communes by code and by name, loaded once on first use (thread-safe)."""

    def __init__(self, load: Callable[[], ReferenceSource]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._ref: ReferenceSource | None = None
        self._commune_keys: list[tuple[str, Any]] = []
        self._qpv_keys: list[tuple[str, Any]] = []
        self._children: dict[str, list[str]] = {}

    @property
    def ref(self) -> ReferenceSource:
        """The reference data (loaded at the first call)."""
        with self._lock:
            if self._ref is None:
                ref = self._load()
                communes = sorted(ref.communes.values(), key=lambda c: -int(c.population or 0))
                self._commune_keys = [(commune_key(c.name), c) for c in communes]
                self._qpv_keys = [(commune_key(q.name), q) for q in ref.qpvs.values()]
                for c in communes:
                    if c.parent:
                        self._children.setdefault(c.parent, []).append(c.insee)
                self._ref = ref
            return self._ref

    # --- look-ups ---------------------------------------------------------------------------------

    def qpv(self, code: str | None) -> Any | None:
        """The QPV of a code, or None."""
        return self.ref.qpvs.get(code or "")

    def commune(self, insee: str | None) -> Any | None:
        """The commune of an INSEE code, or None."""
        return self.ref.communes.get(insee or "")

    def department_name(self, code: str) -> str:
        """A department's name (the code when unknown)."""
        return self.ref.departments.get(code, (code, ""))[0]

    def region_name(self, code: str) -> str:
        """A region's name (the code when unknown)."""
        return self.ref.regions.get(code, code)

    def host_communes(self, qpv: Any) -> list[Any]:
        """The communes hosting a QPV (known ones)."""
        return [c for c in (self.commune(i) for i in qpv.insees) if c is not None]

    def agree(self, qpv: Any, commune: Any) -> bool:
        """True when the QPV lies in the commune (arrondissements count as their city and back)."""
        _ = self.ref
        own = {commune.insee, commune.parent} | set(self._children.get(commune.insee, []))
        return bool(set(qpv.insees) & own)

    def qpv_label(self, code: str | None) -> str:
        """ "QN03405M — Mosson (Montpellier)", or the code alone when unknown."""
        qpv = self.qpv(code)
        if qpv is None:
            return code or "—"
        towns = ", ".join(c.name for c in self.host_communes(qpv))
        return f"{qpv.code} — {qpv.name} ({towns})" if towns else f"{qpv.code} — {qpv.name}"

    def commune_label(self, commune: Any) -> str:
        """ "Montpellier (34172, Hérault)"."""
        return f"{commune.name} ({commune.insee}, {self.department_name(commune.dep_code)})"

    # --- suggestions ------------------------------------------------------------------------------

    def suggest_communes(self, text: str, limit: int = 10) -> list[dict[str, Any]]:
        """Communes whose name starts with (then contains) the text, largest first; codes match too."""
        _ = self.ref
        limit = max(1, min(limit, MAX_SUGGESTIONS))
        wanted = commune_key(text)
        code = text.strip()
        if code[:1].isdigit():
            hits = [c for _, c in self._commune_keys if c.insee.startswith(code)]
        else:
            hits = [c for k, c in self._commune_keys if k.startswith(wanted)]
            if len(hits) < limit:
                hits += [c for k, c in self._commune_keys if wanted in k and not k.startswith(wanted)]
        return [self.commune_json(c) for c in hits[:limit]]

    def suggest_qpvs(self, text: str, commune: str | None = None, limit: int = 10) -> list[dict[str, Any]]:
        """QPVs whose code, name or host commune matches the text, optionally of one commune."""
        _ = self.ref
        limit = max(1, min(limit, MAX_SUGGESTIONS))
        wanted = commune_key(text)
        town = self.commune(commune) if commune else None
        hits = []
        for key, qpv in self._qpv_keys:
            if town is not None and not self.agree(qpv, town):
                continue
            towns = " ".join(commune_key(c.name) for c in self.host_communes(qpv))
            if not wanted or wanted in key or wanted in towns or qpv.code.lower().startswith(wanted):
                hits.append(qpv)
        hits.sort(key=lambda q: (not commune_key(q.name).startswith(wanted), q.code))
        return [self.qpv_json(q) for q in hits[:limit]]

    def commune_json(self, c: Any) -> dict[str, Any]:
        """A commune as the pickers show it."""
        return {
            "code": c.insee,
            "name": c.name,
            "department": self.department_name(c.dep_code),
            "region": self.region_name(c.reg_code),
            "label": self.commune_label(c),
        }

    def qpv_json(self, q: Any) -> dict[str, Any]:
        """A QPV as the pickers show it."""
        return {
            "code": q.code,
            "name": q.name,
            "communes": [c.name for c in self.host_communes(q)],
            "department": self.department_name(q.dep_code),
            "region": self.region_name(q.reg_code),
            "label": self.qpv_label(q.code),
        }

    # --- resolving what a reviewer typed ----------------------------------------------------------

    def resolve_qpv(self, text: str) -> Any:
        """The QPV named by a code, a picker label ("QN03405M — Mosson (...)") or a unique name."""
        found = QPV_CODE.search(text.upper())
        if found:
            qpv = self.qpv(found.group(1))
            if qpv is None:
                raise InputError(
                    f"Code QPV inconnu : « {found.group(1)} »",
                    hint="choisissez un quartier dans la liste proposée (ex. QN03405M — Mosson, Montpellier)",
                )
            return qpv
        _ = self.ref
        matches = [q for k, q in self._qpv_keys if k == commune_key(text)]
        if len(matches) == 1:
            return matches[0]
        raise InputError(
            f"QPV introuvable : « {text[:80]} »" if not matches else f"Nom de QPV ambigu : « {text[:80]} »",
            hint="choisissez un quartier dans la liste proposée : elle donne son code (QN…)",
        )

    def resolve_commune(self, text: str, near: Iterable[str] = ()) -> Any:
        """The commune named by an INSEE code, a picker label or a name (ambiguous names need a code)."""
        found = COMMUNE_CODE.search(text)
        if found and self.commune(found.group(1)) is not None:
            return self.commune(found.group(1))
        wanted = commune_key(re.sub(r"\(.*\)\s*$", "", text))
        _ = self.ref
        matches = [c for k, c in self._commune_keys if k == wanted]
        preferred = [c for c in matches if c.insee in set(near)]
        if len(preferred) == 1 or len(matches) == 1:
            return (preferred or matches)[0]
        if not matches:
            raise InputError(
                f"Commune inconnue : « {text[:80]} »",
                hint="choisissez une commune dans la liste proposée (nom ou code INSEE)",
            )
        choices = ", ".join(self.commune_label(c) for c in matches[:4])
        raise InputError(
            f"Nom de commune ambigu : « {text[:80]} » ({choices})",
            hint="choisissez la commune dans la liste : son code INSEE lève l'ambiguïté",
        )


def _known_commune(directory: PlaceDirectory, name: str | None, analysis: Mapping[str, Any]) -> Any | None:
    """The commune an (unchanged) value names: the analysis's INSEE code first, else a unique name."""
    if not name:
        return None
    for ref in analysis.get("communes") or []:
        if isinstance(ref, dict) and ref.get("name") == name and directory.commune(ref.get("insee")):
            return directory.commune(ref.get("insee"))
    try:
        return directory.resolve_commune(name)
    except InputError:
        return None


def resolve_place(
    directory: PlaceDirectory, sent: Mapping[str, Any], values: Mapping[str, Any], analysis: Mapping[str, Any]
) -> ResolvedPlace:
    """Check a place correction against the reference; French `InputError` when it cannot stand.

    ``sent`` are the corrections sent (typed), ``values`` the item's values before them. A QPV chosen
    alone brings its commune along when the current one does not host it; a commune chosen alone must
    host the current QPV. Otherwise QPV and commune must agree, unless ``place_mismatch_assumed``.
    """
    assumed = bool(sent.get("place_mismatch_assumed", values.get("place_mismatch_assumed")))
    if "qpv_code" in sent:
        qpv = directory.resolve_qpv(sent["qpv_code"]) if sent["qpv_code"] else None
    else:  # the QPV left as it is: a code missing from the 2024 list (an older one) checks nothing
        qpv = directory.qpv(str(values.get("qpv_code") or "").upper()) if values.get("qpv_code") else None
    if "commune" in sent:
        text = sent["commune"]
        commune = directory.resolve_commune(text, qpv.insees if qpv else ()) if text else None
        if commune is None and qpv is not None:  # commune emptied, a QPV kept: the QPV's commune
            hosts = directory.host_communes(qpv)
            commune = hosts[0] if hosts else None
    else:
        commune = _known_commune(directory, values.get("commune"), analysis)
        moved = qpv is not None and "qpv_code" in sent and not assumed
        if moved and (commune is None or not directory.agree(qpv, commune)):
            hosts = directory.host_communes(qpv)
            commune = hosts[0] if hosts else commune
    if qpv is not None and commune is not None and not assumed and not directory.agree(qpv, commune):
        raise InputError(
            f"Le QPV {directory.qpv_label(qpv.code)} n'est pas dans la commune "
            f"{directory.commune_label(commune)}",
            hint="choisissez un QPV de cette commune, videz le champ QPV, "
            "ou cochez « incohérence assumée » si le texte le justifie",
        )
    return ResolvedPlace(qpv, commune)


def derive_place_corrections(
    directory: PlaceDirectory, sent: Mapping[str, Any], values: Mapping[str, Any], analysis: Mapping[str, Any]
) -> dict[str, Any]:
    """The corrections a place correction implies: names, QPV and commune records, department, region."""
    place = resolve_place(directory, sent, values, analysis)
    qpv, commune = place.qpv, place.commune
    out: dict[str, Any] = {
        "qpv_code": qpv.code if qpv else None,
        "commune": commune.name if commune else None,
    }
    keep_detected_qpv = qpv is None and "qpv_code" not in sent and bool(values.get("qpv_code"))
    hosts = directory.host_communes(qpv) if qpv else []
    host = commune if commune is not None and qpv is not None and directory.agree(qpv, commune) else None
    host = host or (hosts[0] if hosts else None)
    out["qpv"] = (
        [{"code": qpv.code, "name": qpv.name, "commune": host.name if host else None,
          "insee": host.insee if host else None}] if qpv else []
    )  # fmt: skip
    if keep_detected_qpv:  # a detected code missing from the 2024 list, left alone: it stays as detected
        del out["qpv_code"], out["qpv"]
    out["communes"] = [{"insee": commune.insee, "name": commune.name}] if commune else []
    places = [p for p in (qpv, commune) if p is not None]
    out["department_codes"] = sorted({p.dep_code for p in places if p.dep_code})
    out["region_codes"] = sorted({p.reg_code for p in places if p.reg_code})
    if "place_mismatch_assumed" in sent:
        out["place_mismatch_assumed"] = bool(sent["place_mismatch_assumed"])
    return out


def text_mismatch(
    directory: PlaceDirectory | None, qpv_code: str | None, analysis: Mapping[str, Any]
) -> bool:
    """True when the chosen QPV lies in none of the communes the text names (a badge in the queue)."""
    if directory is None or not qpv_code:
        return False
    qpv = directory.qpv(qpv_code)
    towns = [directory.commune(c.get("insee")) for c in analysis.get("communes") or [] if isinstance(c, dict)]
    known = [t for t in towns if t is not None]
    if qpv is None or not known:
        return False
    return not any(directory.agree(qpv, t) for t in known)
