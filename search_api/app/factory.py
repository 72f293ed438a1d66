"""The FastAPI application factory: API under /api, French web UI at /."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    ConfigError,
    ConflictError,
    EngineUnavailableError,
    InputError,
    ModelError,
    NotFoundError,
    PermissionDeniedError,
    SearchEngineError,
    VigieError,
)
from search_api.app.auth import NotAuthenticatedError, require_role
from search_api.app.indexing import IndexDrainer
from search_api.app.routes import admin, annotate, auth, exports, ops, pages, review, saved, search
from search_api.app.routes.rendering import render
from search_api.app.services import AppServices

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Everything is served from here: no CDN, no tile server; Leaflet and htmx need inline styles only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Most specific first: the first class an error is an instance of gives the status.
STATUS_OF_ERROR: tuple[tuple[type[VigieError], int], ...] = (
    (NotAuthenticatedError, 401),
    (PermissionDeniedError, 403),
    (NotFoundError, 404),
    (InputError, 422),
    (ConflictError, 409),
    (EngineUnavailableError, 503),
    (SearchEngineError, 400),
    (ModelError, 409),
    (ConfigError, 500),
)


class ErrorBody(BaseModel):
    """What went wrong, the code to quote, and how to fix it."""

    code: str
    message: str
    hint: str | None = None


class ErrorOut(BaseModel):
    """The one shape of every API error (and of the French error page's content)."""

    error: ErrorBody


# Documented on every operation: any route may answer these, always in the `ErrorOut` shape.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in (
        (400, "The search engine refused the request."),
        (401, "Not authenticated (no valid session or token)."),
        (403, "The role does not allow this, or the CSRF token is missing."),
        (404, "No such object."),
        (409, "Changed meanwhile (reload), or a model operation is not possible now."),
        (422, "Invalid input: the message names the field."),
        (500, "Internal error."),
        (503, "The search engine is unavailable."),
    )
}


def status_of(exc: VigieError) -> int:
    """The HTTP status a Vigie error maps to (500 for storage and unknown errors)."""
    return next((status for cls, status in STATUS_OF_ERROR if isinstance(exc, cls)), 500)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    return not path.startswith(("/api/", "/flux/")) and "text/html" in request.headers.get("accept", "")


async def handle_vigie_error(request: Request, exc: Exception) -> Response:
    """Map every `VigieError` to a clean answer: JSON for the API, a French page for the UI."""
    assert isinstance(exc, VigieError)
    status = status_of(exc)
    log.log(
        logging.ERROR if status >= 500 else logging.INFO, "request failed status=%s code=%s", status, exc.code
    )
    # A page or form goes to the login form; an htmx call (a fragment polled after the session expired)
    # gets the French 401 page, whose link leads there, instead of a login form inside the fragment.
    if status == 401 and _wants_html(request) and "hx-request" not in request.headers:
        return RedirectResponse(f"/connexion?suite={request.url.path}", status_code=303)
    body = {"error": {"code": exc.code, "message": exc.message, "hint": exc.hint}}
    if _wants_html(request):
        return render(request, "error.html", {"status": status, "error": body["error"]}, status_code=status)
    return JSONResponse(body, status_code=status)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": CSP,
}


def add_security_headers(response: Response) -> Response:
    """The headers every answer carries, errors included."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    """The catch-all: a bug answers 500 in the documented shape, with the security headers, no traceback."""
    log.error("unexpected error path=%s error=%s", request.url.path, type(exc).__name__, exc_info=exc)
    error = {
        "code": "E500",
        "message": "internal error",
        "hint": "try again; if it persists, report the time and the page to an administrator",
    }
    response: Response
    if _wants_html(request):
        try:
            response = render(request, "error.html", {"status": 500, "error": error}, status_code=500)
        except Exception:  # the page itself may be what fails: fall back to JSON
            response = JSONResponse({"error": error}, status_code=500)
    else:
        response = JSONResponse({"error": error}, status_code=500)
    return add_security_headers(response)


HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    404: ("E004", "no such page", "check the address, or start again from the home page"),
    405: ("E002", "this address does not accept this method", "use the page's own forms and links"),
}


async def handle_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown path, wrong method) in our shape: JSON for /api, a French page."""
    assert isinstance(exc, StarletteHTTPException)
    code, message, hint = HTTP_ERRORS.get(exc.status_code, ("E000", str(exc.detail), None))
    error = {"code": code, "message": message, "hint": hint}
    headers = dict(exc.headers or {})
    if _wants_html(request):
        context = {"status": exc.status_code, "error": error}
        response: Response = render(request, "error.html", context, status_code=exc.status_code)
        response.headers.update(headers)
        return response
    return JSONResponse({"error": error}, status_code=exc.status_code, headers=headers)


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    """Request validation errors get the same shape as Vigie input errors."""
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return await handle_vigie_error(
        request, InputError(f"invalid request: {problems}", hint="fix the fields named")
    )


def create_app(services: AppServices) -> FastAPI:
    """Build the app around the given services; routers are included here, with their roles."""
    drainer = IndexDrainer(services.session_factory, services.search_engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        drainer.start()  # indexes what a killed process left in the outbox, then keeps up
        try:
            yield
        finally:
            drainer.stop()

    app = FastAPI(
        title="Vigie",
        version="0.1.0",
        description="Veille des innovations dans les QPV.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.services = services
    app.state.drainer = drainer
    app.add_exception_handler(VigieError, handle_vigie_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected_error)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (auth.router, pages.router, review.router, annotate.router, admin.router, exports.router):
        app.include_router(router)
    app.include_router(saved.router)
    # Every router is imported above: a missing one is an ImportError at start, never a quiet warning.
    app.include_router(search.router, dependencies=[Depends(require_role("viewer"))])
    app.include_router(ops.router)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        return add_security_headers(response)

    return app
