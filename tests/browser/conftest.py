"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

`playwright install` cannot download browsers here, so the tests launch the system's Chromium
(`CHROMIUM`, default /usr/bin/chromium); axe-core comes from the npm registry, pinned in
package.json and installed by `make test` (`npm ci --prefix tests/browser`). One browser serves
the whole session; every test gets fresh contexts, and loads the seed record itself since the
live server needs a transactional database (emptied after each test).
"""

import os
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "artifacts/screenshots")).resolve()
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"

_saved_screenshots = []


@pytest.fixture(scope="package")
def browser():
    """One Chromium for the whole run of the browser tests; fails (never skips) with how to
    install what is missing.

    Package-scoped, which in a run is once per session: the browser and the event loop of
    Playwright's sync API close when the browser tests end, so the rest of the suite runs in a
    thread without a running loop. While it runs, Django must be told that queries from that
    thread are safe (DJANGO_ALLOW_ASYNC_UNSAFE): the loop only waits for the browser.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"No Chromium at {CHROMIUM}: install it with `apt-get install -y chromium` "
            "(or point CHROMIUM at one). `make test` does this itself."
        )
    if not AXE.exists():
        pytest.fail(
            f"axe-core is missing ({AXE}): run `npm ci --prefix tests/browser`. "
            "`make test` does this itself."
        )
    from playwright.sync_api import sync_playwright

    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM)
            yield chromium
            chromium.close()
    finally:
        if before is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = before


@pytest.fixture
def seeded(browser, transactional_db, live_server):
    """The seed record behind the live server; returns the server's base URL."""
    call_command("load_seed", verbosity=0)
    # Pages cached by an earlier test may describe records the flush has since removed.
    cache.clear()
    return live_server.url


@pytest.fixture
def new_context(browser, live_server):
    """Opens browser contexts on the live server and closes them after the test."""
    contexts = []

    def open_context(viewport=DESKTOP, **options):
        context = browser.new_context(base_url=live_server.url, viewport=viewport, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def save_screenshot(page, name):
    """A full-page PNG in SCREENSHOTS, listed at the end of the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    _saved_screenshots.append(path)
    return path


def pytest_terminal_summary(terminalreporter):
    if _saved_screenshots:
        terminalreporter.section("browser screenshots")
        terminalreporter.write_line(f"{len(_saved_screenshots)} full-page PNGs in {SCREENSHOTS}")
        for path in _saved_screenshots:
            terminalreporter.write_line(f"  {path}")
