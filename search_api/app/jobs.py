"""Background jobs of the web app (training, re-analysis): one thread per job, one job of a kind at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from core.errors import InputError

log = logging.getLogger(__name__)


class JobRunner:
    """Runs named jobs in daemon threads and keeps the last job of each name for the pages to show."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def start(self, name: str, actor: str, work: Callable[[], Any]) -> dict[str, Any]:
        """Start ``work`` in the background; refuses while a job of the same name runs."""
        with self._lock:
            if self._jobs.get(name, {}).get("status") == "running":
                raise InputError(f"a {name} job is already running", hint="wait for it to finish")
            job: dict[str, Any] = {
                "name": name,
                "status": "running",
                "actor": actor,
                "started_at": datetime.now(UTC).isoformat(),
            }
            self._jobs[name] = job

        def _run() -> None:
            try:
                job["result"] = work()
                job["status"] = "done"
            except Exception as exc:  # a failed job is reported on the page, never crashes the app
                log.exception("background job failed name=%s", name)
                job["status"], job["error"] = "failed", str(exc)
            job["finished_at"] = datetime.now(UTC).isoformat()

        threading.Thread(target=_run, name=f"vigie-{name}", daemon=True).start()
        return job

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """The last job of each name (the dicts are live: a running job's fields change)."""
        return dict(self._jobs)
