"""The FastAPI application factory: API under /api, French web UI at /."""

from __future__ import annotations

import importlib
import logging
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from core.errors import (
    ConfigError,
    EngineUnavailableError,
    InputError,
    ModelError,
    NotFoundError,
    PermissionDeniedError,
    SearchEngineError,
    VigieError,
)
from search_api.app.auth import NotAuthenticatedError, require_role
from search_api.app.routes import admin, annotate, auth, exports, pages, review, saved
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
    (EngineUnavailableError, 503),
    (SearchEngineError, 400),
    (ModelError, 409),
    (ConfigError, 500),
)


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
    if status == 401 and _wants_html(request):
        return RedirectResponse(f"/connexion?suite={request.url.path}", status_code=303)
    body = {"error": {"code": exc.code, "message": exc.message, "hint": exc.hint}}
    if _wants_html(request):
        return render(request, "error.html", {"status": status, "error": body["error"]}, status_code=status)
    return JSONResponse(body, status_code=status)


async def handle_validation_error(request: Request, exc: Exception) -> Response:
    """Request validation errors get the same shape as Vigie input errors."""
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return await handle_vigie_error(
        request, InputError(f"invalid request: {problems}", hint="fix the fields named")
    )


def _include_optional(app: FastAPI, module_name: str, dependencies: list[Any]) -> None:
    """Include another area's router when it exists (it may land after this app)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        log.warning("router not available module=%s error=%s", module_name, exc)
        return
    app.include_router(module.router, dependencies=dependencies)


def create_app(services: AppServices) -> FastAPI:
    """Build the app around the given services; routers are included here, with their roles."""
    app = FastAPI(title="Vigie", version="0.1.0", description="Veille des innovations dans les QPV.")
    app.state.services = services
    app.add_exception_handler(VigieError, handle_vigie_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (auth.router, pages.router, review.router, annotate.router, admin.router, exports.router):
        app.include_router(router)
    app.include_router(saved.router)
    _include_optional(app, "search_api.app.routes.search", [Depends(require_role("viewer"))])
    _include_optional(app, "search_api.app.routes.ops", [])
    if not any(getattr(r, "path", None) == "/api/health" for r in app.routes):

        @app.get("/api/health", tags=["ops"])
        def health() -> dict[str, str]:
            return {"status": "ok"}

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response

    return app
