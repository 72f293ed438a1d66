"""Template rendering shared by the page routes: one Jinja2 environment, French filters."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from core.domain import INNOVATION_TYPES
from search_api.app.auth import ROLE_LABELS, get_current_user

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


def french_datetime(value: datetime | None) -> str:
    """A timestamp as dd/mm/yyyy hh:mm (UTC)."""
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


templates.env.filters["highlight"] = highlight
templates.env.filters["facet_value"] = facet_value
templates.env.globals["changed_fields"] = changed_fields
templates.env.filters["datetime_fr"] = french_datetime
templates.env.filters["status_fr"] = lambda s: STATUS_LABELS.get(s, s)
templates.env.filters["action_fr"] = lambda a: ACTION_LABELS.get(a, a)
templates.env.filters["urlencode_dict"] = lambda d: urlencode(
    {k: v for k, v in d.items() if v not in (None, "")}
)
templates.env.globals["ROLE_LABELS"] = ROLE_LABELS
templates.env.globals["INNOVATION_TYPES"] = INNOVATION_TYPES


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page with the current user and its CSRF token in the context."""
    user = get_current_user(request)
    base = {"user": user, "csrf_token": user.csrf_token if user else "", "path": request.url.path}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    """A POST-redirect-GET answer."""
    return RedirectResponse(url, status_code=303)
