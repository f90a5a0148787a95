"""Real Chromium (Debian's, never a downloaded one) driven by Playwright's sync API against pytest-django's live server.

The live server's tests run on a flushed database: each browser test starts with `build_demo(size=SMALL)`."""

import importlib
import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in this thread; Django's ORM calls from the test body are
# still synchronous and safe here.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("INMINBAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def default_area_levels(request):
    """A live-server test runs on a database that the one before it flushed, and a flush also removes the rows
    data migrations made (the area levels the demo builds on). Put them back before the test starts."""
    if "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    importlib.import_module("inminban.areas.migrations.0003_default_levels").add_levels(apps, None)


@pytest.fixture
def duty_rules(default_area_levels):
    """The flush before a live-server test also removes the default allocation rules; put them back."""
    from django.apps import apps

    importlib.import_module("inminban.duties.migrations.0002_default_rules").add_rules(apps, None)


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists() and not shutil.which(str(CHROMIUM)):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set INMINBAN_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e .[test])")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):
    """A fresh browser context the size of a phone (390×844), English first."""
    context = chromium.new_context(viewport=PHONE, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def fits_width():
    """Whether the page fits the viewport's width: nothing to scroll sideways."""
    return lambda page: page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
