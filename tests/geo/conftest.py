"""Geography fixtures: the real reference data loaded once per session, local HTTP servers."""

from __future__ import annotations

import http.server
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from nlp.geo import GeoLinker, load_linker


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
    """The linker over the real reference data (loaded once, cached by ``load_linker``)."""
    return load_linker(reference_dir)


def _wait_ready(url: str) -> None:
    """Poll the server until it answers (no sleep)."""
    for _ in range(200):
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            continue
    raise RuntimeError(f"test server at {url} never answered")


@pytest.fixture
def serve() -> Iterator[Callable[[type[http.server.BaseHTTPRequestHandler]], str]]:
    """Start a real HTTP server on 127.0.0.1, port 0, with the given handler class; returns its URL."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(handler: type[http.server.BaseHTTPRequestHandler]) -> str:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        _wait_ready(url + "/")
        return url

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
