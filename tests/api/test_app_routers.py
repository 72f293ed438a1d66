"""Every router of search_api/app/routes is part of the app; a router that cannot be imported stops it."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

from fastapi import FastAPI

import search_api.app.routes as routes_package
from search_api.app.factory import create_app
from tests.support.live_app import LiveApp

REPO = Path(__file__).resolve().parents[2]
# Import the factory with the search router's module made unimportable, as a broken install would.
BLOCKED_IMPORT = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "search_api.app.routes.search":
            raise ImportError("blocked by the test: search_api.app.routes.search")
sys.meta_path.insert(0, Block())
import search_api.app.factory
print("the factory imported without its search router")
"""


def test_a_router_that_cannot_be_imported_is_a_hard_error() -> None:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED_IMPORT], capture_output=True, text=True, cwd=REPO, timeout=120
    )
    assert done.returncode != 0 and "without its search router" not in done.stdout
    assert "ImportError: blocked by the test: search_api.app.routes.search" in done.stderr


def _operations(app: FastAPI) -> set[tuple[str, str]]:
    """(path, method) of every documented operation (the OpenAPI view sees routers nested at any depth)."""
    return {(path, method) for path, item in app.openapi()["paths"].items() for method in item}


def test_every_router_module_is_included(app_live: LiveApp) -> None:
    served = _operations(create_app(app_live.services))
    names = [m.name for m in pkgutil.iter_modules(routes_package.__path__)]
    modules = [importlib.import_module(f"{routes_package.__name__}.{name}") for name in names]
    routers = {module.__name__: module.router for module in modules if hasattr(module, "router")}
    assert len(routers) >= 9, names
    for name, router in routers.items():
        alone = FastAPI()
        alone.include_router(router)
        own = _operations(alone)
        assert own and own <= served, (name, sorted(own - served))
    assert {("/api/search", "get"), ("/api/health", "get")} <= served
