"""Browser tests: Debian's chromium driven by Playwright's Python package against pytest-django's live server.

Never ``playwright install``: the browser is the system's ``/usr/bin/chromium`` (``.ci/run`` installs it with
apt). When it is missing, these tests are skipped with a reason that names the browser and how to install it, so
that ``make test`` passes on a fresh machine; with ``KPIBOARD_REQUIRE_BROWSER`` set (``.ci/run`` sets it) a missing
browser is a failure instead. Screenshots of every page go to ``test-output/screenshots/<page>.png`` under the
repository (gitignored).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with a running
# loop unless told that this test process knows what it does (the ORM calls here are plain synchronous ones).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("KPIBOARD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-output" / "screenshots"


def browser_required() -> bool:
    """Whether a missing browser fails the run (``KPIBOARD_REQUIRE_BROWSER`` set and not 0/false/no) rather than
    skipping the browser tests."""
    return os.environ.get("KPIBOARD_REQUIRE_BROWSER", "").strip().lower() not in ("", "0", "false", "no")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (no chromium, no Playwright package), or None when they can."""
    if not CHROMIUM.exists():
        return (
            f"Chromium is missing at {CHROMIUM}: the browser tests drive Debian's chromium "
            "(install it with `apt-get install chromium fonts-noto-cjk`, or point KPIBOARD_CHROMIUM at a chromium "
            "binary; .ci/run installs it)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is missing: the browser tests need it (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the session (per xdist worker); the tests skip without one, or fail when
    ``KPIBOARD_REQUIRE_BROWSER`` is set."""
    reason = browser_missing()
    if reason:
        if browser_required():
            pytest.fail(f"{reason}. KPIBOARD_REQUIRE_BROWSER is set, so this is a failure.", pytrace=False)
        pytest.skip(f"{reason}. Set KPIBOARD_REQUIRE_BROWSER=1 to make this a failure.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (own cookies) at a desktop size, English first."""
    context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="en-US", timezone_id="Asia/Shanghai")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.js_errors = errors
    yield tab
    context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` saves the full page as test-output/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(tab, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take
