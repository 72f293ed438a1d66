"""Template rendering shared by the page routes: one Jinja2 environment, French filters."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup, escape

from core.domain import DOC_KINDS, INNOVATION_TYPES
from search_api.app.auth import ROLE_LABELS, get_current_user
from search_api.app.links import link_target
from search_api.app.place_names import PlaceNames, load_place_names

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
STATUS_LABELS = {"pending": "en attente", "validated": "validée", "rejected": "rejetée"}
ACTION_LABELS = {
    "validate": "validation",
    "reject": "rejet",
    "correct": "correction",
    "reset": "remise en attente",
    "undo": "annulation",
    "adjudicate": "arbitrage",
    "promote": "promotion de modèle",
    "rollback": "retour de modèle",
    "user_save": "utilisateur enregistré",
    "user_remove": "utilisateur supprimé",
    "password_change": "changement de mot de passe",
}
FACET_VALUE_LABELS: dict[str, dict[str, str]] = {
    "in_qpv": {"true": "oui", "false": "non", "unknown": "inconnu"},
    "review_status": STATUS_LABELS,
    "doc_kind": {
        "press": "presse",
        "association": "association",
        "call_for_projects": "appel à projets",
        "laureates_list": "liste de lauréats",
        "institutional": "institutionnel",
        "other": "autre",
    },
}


def facet_value(value: str, facet: str) -> str:
    """The French label of a facet value (the value itself when it has none)."""
    return FACET_VALUE_LABELS.get(facet, {}).get(value, value)


FIELD_LABELS = {
    "is_initiative": "initiative",
    "in_qpv": "en QPV",
    "doc_kind": "type de document",
    "innovation_types": "types d'innovation",
    "qpv_code": "code QPV",
    "name": "nom de l'initiative",
    "carrier": "porteur",
    "commune": "commune",
    "communes": "communes",
    "status": "statut",
    "reason": "motif",
    # model metrics
    "f1": "F1",
    "precision": "précision",
    "recall": "rappel",
    "accuracy": "exactitude",
    "n_examples": "exemples d'entraînement",
    "micro_f1": "F1 micro",
    "macro_f1": "F1 macro",
    "roc_auc": "AUC ROC",
    "average_precision": "précision moyenne",
    "brier": "score de Brier",
}
MODEL_STATUS_LABELS = {
    "promoted": "promue",
    "candidate": "candidate",
    "retired": "retirée",
    "rolled_back": "abandonnée (retour arrière)",
}
TASK_LABELS = {
    "initiative": "Initiative (oui/non)",
    "innovation_types": "Types d'innovation",
    "types": "Types d'innovation",
    "in_qpv": "En QPV",
    "doc_kind": "Type de document",
}
JOB_LABELS = {"train": "entraînement", "reanalyze": "ré-analyse"}


def field_label(name: str) -> str:
    """The French name of a field or metric: "is_initiative" is "initiative", "type:x" is "type x"."""
    if name.startswith("type:"):
        return f"type {name.removeprefix('type:')}"
    if name.startswith("correction "):
        return f"correction : {field_label(name.removeprefix('correction '))}"
    return FIELD_LABELS.get(name, name.replace("_", " "))


PLACE_FACETS = {"region": "region", "department": "department", "commune": "commune", "qpv": "qpv"}


@pass_context
def facet_label(context: Any, value: str, facet: str) -> Markup:
    """A facet value for people: places by their French name (code as secondary text), labels otherwise."""
    if facet in PLACE_FACETS:
        return place_label(context, value, PLACE_FACETS[facet])
    return Markup("{}").format(facet_value(value, facet))


def highlight(text: str, sentences: list[str]) -> Markup:
    """Escape a text and wrap each evidence sentence in <mark>."""
    out = str(escape(text))
    for sentence in sorted({s for s in sentences if s}, key=len, reverse=True):
        safe = str(escape(sentence))
        out = out.replace(safe, f"<mark>{safe}</mark>")
    return Markup(out)


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    """The keys an audited action changed, with their values before and after (corrections opened up)."""
    flat_before, flat_after = dict(before or {}), dict(after or {})
    for flat in (flat_before, flat_after):
        for key, value in dict(flat.pop("corrections", None) or {}).items():
            flat[f"correction {key}"] = value
    pairs = {k: (flat_before.get(k), flat_after.get(k)) for k in sorted(set(flat_before) | set(flat_after))}
    return {k: pair for k, pair in pairs.items() if pair[0] != pair[1]}


PARIS = ZoneInfo("Europe/Paris")
MONTHS_FR = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)
NBSP = "\u00a0"  # between thousands: a number never breaks across lines


def french_number(value: Any, digits: int = 2) -> str:
    """A number the French way: "644" (never "644.000"), "1 234,5"; at most `digits` decimals."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return french_bool(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(number) or math.isinf(number):
        return "—"
    text = f"{round(number, digits):,.{digits}f}" if digits > 0 else f"{round(number):,d}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(",", NBSP).replace(".", ",")


def french_decimal(value: Any, digits: int = 3, signed: bool = False) -> str:
    """A figure with exactly `digits` decimals, the French way ("0,750"); `signed` adds "+" when positive."""
    if value is None or value == "" or isinstance(value, bool):
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:{'+' if signed else ''},.{digits}f}"
    return text.replace(",", NBSP).replace(".", ",")


def french_percent(value: Any, digits: int = 1) -> str:
    """A share (0..1) as a French percentage: 0.125 -> "12,5 %"."""
    if value is None or value == "":
        return "—"
    return f"{french_number(float(value) * 100, digits)}{NBSP}%"


def _as_datetime(value: datetime | date | str | None) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text) if ("T" in text or " " in text) else date.fromisoformat(text[:10])
    except ValueError:
        return None


def french_datetime(value: datetime | date | str | None) -> str:
    """A moment in Paris time, "6 déc. 2026 14:05" (naive times are UTC); a date alone, "15 janv. 2026"."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value in (None, "") else str(value)
    if not isinstance(moment, datetime):
        return f"{moment.day} {MONTHS_FR[moment.month - 1]} {moment.year}"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    local = aware.astimezone(PARIS)
    return f"{local.day} {MONTHS_FR[local.month - 1]} {local.year} {local:%H:%M}"


def french_date(value: datetime | date | str | None) -> str:
    """A date without the time, "15 janv. 2026" (a moment is read in Paris time)."""
    moment = _as_datetime(value)
    if isinstance(moment, datetime):
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(PARIS).date()
    if moment is None:
        return "" if value in (None, "") else str(value)
    return f"{moment.day} {MONTHS_FR[moment.month - 1]} {moment.year}"


def french_bool(value: Any) -> str:
    """True/False/None as "oui"/"non"/"inconnu" (the strings "true"/"false" too)."""
    if isinstance(value, str):
        value = {"true": True, "false": False}.get(value.lower(), None if value in ("", "unknown") else value)
    if value is None:
        return "inconnu"
    return "oui" if value else "non"


def _places(context: Any) -> PlaceNames:
    request = context.get("request")
    services = getattr(getattr(getattr(request, "app", None), "state", None), "services", None)
    directory = getattr(getattr(services, "settings", None), "reference_dir", None)
    return load_place_names(Path(directory) if directory else None)


@pass_context
def place_name(context: Any, code: Any, kind: str) -> str:
    """The French name of a region, department, commune (INSEE) or QPV code; the code when unknown."""
    if code in (None, ""):
        return "—"
    return _places(context).name(str(code), kind) or str(code)


@pass_context
def place_label(context: Any, code: Any, kind: str) -> Markup:
    """The French name with its code as secondary text: `Ain <span class="code">01</span>`."""
    if code in (None, ""):
        return Markup("—")
    name = _places(context).name(str(code), kind)
    if name is None:
        return Markup('<span class="code">{}</span>').format(code)
    return Markup('{} <span class="code">{}</span>').format(name, code)


templates.env.filters["highlight"] = highlight
templates.env.filters["safe_url"] = lambda url: link_target(url) or "#"
templates.env.filters["facet_value"] = facet_value
templates.env.filters["facet_label"] = facet_label
templates.env.filters["field_fr"] = field_label
templates.env.filters["model_status_fr"] = lambda s: MODEL_STATUS_LABELS.get(s, s)
templates.env.filters["task_fr"] = lambda t: TASK_LABELS.get(t, t)
templates.env.filters["job_fr"] = lambda j: JOB_LABELS.get(j, j)
templates.env.globals["changed_fields"] = changed_fields
templates.env.filters["datetime_fr"] = french_datetime
templates.env.filters["date_fr"] = french_date
templates.env.filters["number_fr"] = french_number
templates.env.filters["percent_fr"] = french_percent
templates.env.filters["decimal_fr"] = french_decimal
templates.env.filters["bool_fr"] = french_bool
templates.env.filters["place_name"] = place_name
templates.env.filters["place_label"] = place_label
templates.env.filters["status_fr"] = lambda s: STATUS_LABELS.get(s, s)
templates.env.filters["action_fr"] = lambda a: ACTION_LABELS.get(a, a)
templates.env.filters["urlencode_dict"] = lambda d: urlencode(
    {k: v for k, v in d.items() if v not in (None, "")}
)
templates.env.globals["ROLE_LABELS"] = ROLE_LABELS
templates.env.globals["INNOVATION_TYPES"] = INNOVATION_TYPES
templates.env.globals["DOC_KINDS"] = DOC_KINDS


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page with the current user and its CSRF token in the context."""
    user = get_current_user(request)
    base = {"user": user, "csrf_token": user.csrf_token if user else "", "path": request.url.path}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """A POST-redirect-GET answer."""
    return RedirectResponse(url, status_code=303)
