"""Geography fixtures: the real reference data loaded once per session, local HTTP servers."""

from __future__ import annotations

import http.server
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from nlp.geo import GeoLinker, load_linker
from tests.support.site import serve_handler


@pytest.fixture(autouse=True)
def _no_leaked_log_handlers() -> Iterator[None]:
    """The CLI configures logging on the stream CliRunner captures; drop that handler afterwards.

    Otherwise later tests log into a closed stream ("--- Logging error ---" in their output).
    """
    root = logging.getLogger()
    before = list(root.handlers)
    configured = getattr(root, "_vigie_configured", False)
    yield
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
    root._vigie_configured = configured  # type: ignore[attr-defined]  # marker set by core.logging


@pytest.fixture(scope="session")
def reference_dir(shared_dir: Path) -> Path:
    """The shared, read-only reference folder."""
    return shared_dir / "data" / "reference"


@pytest.fixture(scope="session")
def linker(reference_dir: Path) -> GeoLinker:
    """The linker over the real reference data (loaded once, cached by ``load_linker``), as the product
    loads it: with the promoted commune role model (models/geo_roles/CURRENT) rescoring the communes."""
    return load_linker(reference_dir)


@pytest.fixture(scope="session")
def rules_linker(reference_dir: Path) -> GeoLinker:
    """The same linker with the rules' own commune confidences (no role model): what the rules' tests check,
    penalties and ties that the learned role model then reads as features (docs/geo.md)."""
    return load_linker(reference_dir, roles=False)


@pytest.fixture
def serve() -> Iterator[Callable[[type[http.server.BaseHTTPRequestHandler]], str]]:
    """Start a real HTTP server on 127.0.0.1, port 0, with the given handler class; returns its URL."""
    with ExitStack() as servers:
        yield lambda handler: servers.enter_context(serve_handler(handler))
