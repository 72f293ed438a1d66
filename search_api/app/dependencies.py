"""FastAPI dependencies of the routes: the app's services, the search engine and the role aliases.

Routes take their caller as ``user: Viewer`` (or ``Annotator``, ``Reviewer``, ``Admin``) and reach the
services and the engine through the functions here, never through ``request.app.state`` directly.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from core.errors import ModelError
from core.protocols import ModelRegistry
from search_api.app.auth import CurrentUser, require_role
from search_api.app.services import AppServices
from search_api.engines.base import SearchEngine

Viewer = Annotated[CurrentUser, Depends(require_role("viewer"))]
Annotator = Annotated[CurrentUser, Depends(require_role("annotator"))]
Reviewer = Annotated[CurrentUser, Depends(require_role("reviewer"))]
Admin = Annotated[CurrentUser, Depends(require_role("admin"))]


def get_services(request: Request) -> AppServices:
    """The services of the app serving this request."""
    services: AppServices = request.app.state.services
    return services


def get_search_engine(request: Request) -> SearchEngine | None:
    """The configured search engine, or None when this process has none."""
    return get_services(request).search_engine


def get_registry(request: Request) -> ModelRegistry:
    """The model registry (train, promote, roll back), or a clear error when this process has none."""
    registry = get_services(request).registry
    if registry is None:
        raise ModelError(
            "model versions are not available in this process", hint="start the app with `vigie serve`"
        )
    return registry
