"""Keeps the search index in step with review changes: drains the outbox now, and in the background.

Review actions write their documents to the outbox in their own transaction; the route drains it right
after answering work (so search shows the change at once), and a background thread drains it at start
and every few seconds, so what a killed process left behind is indexed after a restart, unattended.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from search_api.engines.base import SearchEngine
from search_api.engines.outbox import drain_outbox

log = logging.getLogger(__name__)
DRAIN_EVERY_S = 5.0


class IndexDrainer:
    """One per app process: drains the outbox on demand and periodically; one drain at a time."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        engine: SearchEngine | None,
        every_s: float = DRAIN_EVERY_S,
    ) -> None:
        self.session_factory = session_factory
        self.engine = engine
        self.every_s = every_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def drain_now(self) -> int:
        """Drain the outbox in this thread; an engine failure is logged (the rows stay for later)."""
        if self.engine is None:
            return 0
        with self._lock:
            try:
                return drain_outbox(self.session_factory, self.engine)
            except Exception as exc:  # the review is saved; the rows wait for the next drain
                log.warning("outbox drain failed error=%s", str(exc)[:300])
                return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.drain_now()
            self._stop.wait(self.every_s)

    def start(self) -> None:
        """Start the background drain (first drain at once: catches up after a crash)."""
        if self.engine is None or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="vigie-outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background drain and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
