"""Saved searches and their Atom feeds of newest matches."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field, StringConstraints

from core.domain import SearchQuery
from core.errors import InputError, NotFoundError
from core.storage.alerts import AlertRepository
from core.storage.saved_searches import SavedSearchRepository
from core.storage.tables import SavedSearchRow
from search_api.app.dependencies import Viewer, get_services
from search_api.app.links import link_target
from search_api.app.routes.pages import FACET_LABELS, run_search, search_filters
from search_api.app.routes.rendering import redirect, render
from search_api.app.validation import MAX_QUERY_CHARS, RowIdPath, check_query_text, check_search_filters

router = APIRouter(tags=["saved searches"])
FEED_SIZE = 50


EMAIL = re.compile(r"^[^@\s<>,;]{1,64}@[^@\s<>,;]+\.[^@\s<>,;]+$")


class SavedSearchIn(BaseModel):
    """A search to follow; with `email`, its new results are also sent there as a digest."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    text: Annotated[str, StringConstraints(max_length=MAX_QUERY_CHARS)] = ""
    filters: dict[str, Any] = Field(default_factory=dict)
    email: Annotated[str, StringConstraints(max_length=320)] | None = None


def check_email(value: str | None) -> str | None:
    """An e-mail address for digests (None or blank: no e-mail)."""
    if value is None or not value.strip():
        return None
    email = value.strip()
    if len(email) > 320 or not EMAIL.match(email):
        raise InputError(
            f"invalid e-mail address {email[:80]!r}", hint="type one address like nom@exemple.fr"
        )
    return email


def _alerts(request: Request) -> AlertRepository:
    return AlertRepository(get_services(request).session_factory)


def _saved(request: Request) -> SavedSearchRepository:
    return SavedSearchRepository(get_services(request).session_factory)


def save_search(
    request: Request, owner: str, name: str, text: str, filters: dict[str, Any]
) -> SavedSearchRow:
    """Store a saved search with a fresh secret feed key."""
    if not name.strip():
        raise InputError("a saved search needs a name", hint="type a short name")
    query = {"text": check_query_text(text), "filters": check_search_filters(filters)}
    return _saved(request).add(owner, name.strip()[:200], query, secrets.token_urlsafe(24))


def saved_search_query(saved: dict[str, Any], size: int = FEED_SIZE) -> SearchQuery:
    """The newest matches of a saved search (its Atom feed and its e-mail digests)."""
    # Newest first needs a set of matches: keyword mode. Hybrid/semantic rank every document by
    # similarity, so sorted by date they would put unrelated documents in the feed.
    text = str(saved.get("text", ""))
    return SearchQuery(
        text=text[:MAX_QUERY_CHARS],
        filters=saved.get("filters") or {},
        sort="date",
        size=size,
        mode="keyword" if text.strip() else "hybrid",
    )


def atom_feed(request: Request, row: SavedSearchRow) -> str:
    """The Atom document of the newest matches of a saved search."""
    result = run_search(request, saved_search_query(row.query))
    base = str(request.base_url).rstrip("/")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = []
    for hit in result.hits:
        date = hit.source.get("date") or now
        updated = date if "T" in date else f"{date[:10]}T00:00:00Z"
        link = link_target(hit.source.get("url")) or f"{base}/recherche?{urlencode({'q': hit.id})}"
        summary = " … ".join(hit.highlights) or (hit.source.get("text") or "")[:300]
        entries.append(
            f"<entry><id>urn:vigie:doc:{escape(hit.id)}</id><title>{escape(hit.title or hit.id)}</title>"
            f'<link href="{escape(link)}"/><updated>{escape(updated)}</updated>'
            f'<summary type="html">{escape(summary)}</summary></entry>'
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>urn:vigie:saved:{row.id}</id><title>Vigie — {escape(row.name)}</title>"
        f"<updated>{now}</updated><author><name>Vigie</name></author>{''.join(entries)}</feed>"
    )


@router.get("/recherches", response_class=HTMLResponse)
def saved_page(request: Request, user: Viewer) -> Response:
    """The user's saved searches and their feed links."""
    rows = _saved(request).list_of(user.username)
    emails = _alerts(request).emails_of([r.id for r in rows])
    smtp = bool(get_services(request).settings.smtp_host)
    context = {"rows": rows, "emails": emails, "smtp": smtp, "facet_labels": FACET_LABELS}
    return render(request, "saved.html", context)


@router.post("/recherches")
async def saved_add(
    request: Request, user: Viewer, name: Annotated[str, Form()], q: Annotated[str, Form()] = ""
) -> Response:
    """Save the current search (its filters come as hidden fields)."""
    form = await request.form()
    filters = search_filters(form)  # type: ignore[arg-type]  # FormData has getlist like QueryParams
    save_search(request, user.username, name, q, filters)
    return redirect("/recherches")


@router.post("/recherches/{search_id}/supprimer")
def saved_remove(request: Request, search_id: RowIdPath, user: Viewer) -> Response:
    """Delete one of the user's saved searches."""
    if not _saved(request).remove_owned(search_id, user.username):
        raise NotFoundError(f"no saved search {search_id} of yours", hint="see /recherches")
    return redirect("/recherches")


def _owned(request: Request, search_id: int, owner: str) -> SavedSearchRow:
    row = next((r for r in _saved(request).list_of(owner) if r.id == search_id), None)
    if row is None:
        raise NotFoundError(f"no saved search {search_id} of yours", hint="see /recherches")
    return row


@router.post("/recherches/{search_id}/courriel")
def saved_email(
    request: Request, search_id: RowIdPath, user: Viewer, email: Annotated[str, Form()] = ""
) -> Response:
    """Send (or stop sending) a saved search's new results by e-mail."""
    row = _owned(request, search_id, user.username)
    _alerts(request).subscribe(row.id, check_email(email))
    return redirect("/recherches")


@router.get("/flux/{feed_key}.atom")
def feed(request: Request, feed_key: str) -> Response:
    """Atom feed of a saved search; the secret key in the URL stands for the login (feed readers)."""
    row = _saved(request).by_feed_key(feed_key)
    if row is None:
        raise NotFoundError("unknown feed", hint="copy the feed link again from /recherches")
    return Response(atom_feed(request, row), media_type="application/atom+xml; charset=utf-8")


@router.get("/api/saved-searches")
def api_saved(request: Request, user: Viewer) -> dict[str, Any]:
    """The caller's saved searches with their feed paths."""
    rows = _saved(request).list_of(user.username)
    emails = _alerts(request).emails_of([r.id for r in rows])
    return {
        "items": [
            {"id": r.id, "name": r.name, "query": r.query, "feed": f"/flux/{r.feed_key}.atom",
             "email": emails.get(r.id)}
            for r in rows
        ]
    }  # fmt: skip


@router.post("/api/saved-searches")
def api_saved_add(request: Request, body: SavedSearchIn, user: Viewer) -> dict[str, Any]:
    """Save a search and get its feed path."""
    email = check_email(body.email)
    row = save_search(request, user.username, body.name, body.text, body.filters)
    if email:
        _alerts(request).subscribe(row.id, email)
    return {"id": row.id, "feed": f"/flux/{row.feed_key}.atom", "email": email}
