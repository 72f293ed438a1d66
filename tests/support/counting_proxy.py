"""A real HTTP proxy on 127.0.0.1 in front of a service, logging the requests it forwards (round trips)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from tests.support.site import serve_handler

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class RequestLog:
    """Method and path of each request the proxy forwarded, in order."""

    requests: list[tuple[str, str]] = field(default_factory=list)

    def paths(self) -> list[str]:
        """The request paths without their query strings."""
        return [path.split("?")[0] for _, path in self.requests]


def _make_handler(upstream: str, log: RequestLog) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Forward(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            if self.path != "/__ready__":
                log.requests.append((self.command, self.path))
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
            conn = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=60)
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                payload = resp.read()
                self.send_response(resp.status)
                for name, value in resp.getheaders():
                    if name.lower() not in HOP_HEADERS:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            finally:
                conn.close()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
            return

    return Forward


@contextmanager
def counting_proxy(upstream: str) -> Iterator[tuple[str, RequestLog]]:
    """Serve a proxy to ``upstream`` on a free port; yields its URL and the log of forwarded requests."""
    log = RequestLog()
    with serve_handler(_make_handler(upstream, log)) as url:
        yield url, log
