"""A local HTTP server for the demo website shipped in `demo/site/` (our own fictional French pages)."""

from __future__ import annotations

import logging
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from core.settings import PROJECT_ROOT

log = logging.getLogger(__name__)
DEMO_SITE_DIR = PROJECT_ROOT / "demo" / "site"
# Feeds, sitemaps and robots.txt name absolute URLs: the placeholder becomes the server's base URL.
BASE_PLACEHOLDER = b"__BASE__"
TEMPLATED = {".xml", ".txt"}


class _DemoHandler(SimpleHTTPRequestHandler):
    base_url = ""

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        if path.suffix not in TEMPLATED or not path.is_file():
            return super().send_head()
        body = path.read_bytes().replace(BASE_PLACEHOLDER, self.base_url.encode())
        self.send_response(200)
        ctype = "application/xml" if path.suffix == ".xml" else "text/plain"
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("demo-site " + format, *args)


class DemoSite:
    """The demo website on 127.0.0.1, in a background thread; use as a context manager."""

    def __init__(self, root: Path = DEMO_SITE_DIR, port: int = 0) -> None:
        self.root = root
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The server's base URL, e.g. http://127.0.0.1:8765."""
        if self._server is None:
            raise RuntimeError("demo site not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> DemoSite:
        """Bind and serve in a daemon thread; ready as soon as this returns (the socket listens)."""
        handler: type[_DemoHandler] = type("Handler", (_DemoHandler,), {})
        self._server = ThreadingHTTPServer(
            ("127.0.0.1", self.port), partial(handler, directory=str(self.root))
        )
        handler.base_url = self.base_url
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-site", daemon=True)
        self._thread.start()
        log.info("demo site serving url=%s root=%s", self.base_url, self.root)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
