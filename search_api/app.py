"""The FastAPI application factory: API under /api, French web UI at /."""

from __future__ import annotations

from fastapi import FastAPI

from search_api.services import AppServices


def create_app(services: AppServices) -> FastAPI:
    """Build the app around the given services; routers are included here, with their roles."""
    app = FastAPI(title="Vigie", version="0.1.0", description="Veille des innovations dans les QPV.")
    app.state.services = services

    @app.get("/api/health", tags=["ops"])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
