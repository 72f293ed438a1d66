"""Browser fixtures: Debian's headless Chromium driven by Playwright, screenshots kept on failure."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_app import LiveApp, live_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("VIGIE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Remember each phase's outcome on the test item, for the screenshot fixture."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="module")
def app_live(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[LiveApp]:
    """A seeded app on a real uvicorn server (127.0.0.1, free port)."""
    with live_app(tmp_path_factory.mktemp("ui") / "var", shared_dir / "data" / "reference") as live:
        yield live


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium from Debian (never a downloaded browser)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (scripts/test.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app_live: LiveApp, request: pytest.FixtureRequest) -> Iterator[object]:
    """A fresh browser context per test; a full-page screenshot lands in test-artifacts/ on failure."""
    context = browser.new_context(base_url=app_live.url, accept_downloads=True, locale="fr-FR")
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
