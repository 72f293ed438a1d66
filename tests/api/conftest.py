"""Fixtures of the API tests: one live, seeded server per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.live_app import LiveApp, live_app


@pytest.fixture(scope="module")
def app_live(tmp_path_factory: pytest.TempPathFactory, shared_dir) -> Iterator[LiveApp]:
    """A seeded app on a real uvicorn server (127.0.0.1, free port)."""
    with live_app(tmp_path_factory.mktemp("ui") / "var", shared_dir / "data" / "reference") as live:
        yield live
