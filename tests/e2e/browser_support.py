"""Headless Chromium for the end-to-end tests (webmail, password page): Debian's ``chromium``
driven by Selenium through Debian's ``chromedriver`` (package chromium-driver).

``make test-deps`` installs both packages; selenium is pinned in requirements.txt. Outside CI
(``CI`` unset) a test that needs the browser is skipped when one is missing; in CI it fails.
Screenshots go to build/artifacts/screenshots/ (ignored by git, kept by the CI job).

Use the ``browser`` fixture (``from browser_support import browser`` in a test module), or
``headless_chromium()`` as a context manager; ``screenshot(driver, name)`` saves one.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
INSTALL = ("make test-deps (or: apt-get install --no-install-recommends chromium "
           "chromium-driver)")
# Without the background-networking flags Chromium keeps dialling out, and the closed network
# here refuses it; a fresh profile per browser keeps runs independent.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900", "--lang=vi")
WAIT = 30.0


def missing(reason: str) -> None:
    """No browser: skip on a developer's machine, fail in CI (``CI`` set)."""
    message = f"{reason}: the browser tests need Debian's Chromium. Install it with: {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def browser_paths() -> tuple[str, str]:
    """Debian's chromium and chromedriver (the PATH's if /usr/bin has none)."""
    found = []
    for wanted, name in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")):
        path = wanted if os.access(wanted, os.X_OK) else shutil.which(name)
        if not path:
            missing(f"{name} not found")
        found.append(path)
    return found[0], found[1]


@contextlib.contextmanager
def headless_chromium() -> Iterator:
    """A headless Chromium with a fresh profile, quit and removed at the end."""
    chromium, chromedriver = browser_paths()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing("selenium is missing (.venv/bin/pip install -r requirements.txt)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="hymail-chromium-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium per test module (starting one takes seconds); its cookies are
    cleared before each use of ``fresh_browser``."""
    with headless_chromium() as driver:
        yield driver


@pytest.fixture
def fresh_browser(browser):
    """The module's browser with no cookies (no session left by an earlier test)."""
    browser.delete_all_cookies()
    return browser


def screenshot(driver, name: str) -> pathlib.Path:
    """Save what the browser shows as build/artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".png")
    assert driver.save_screenshot(str(path)), f"screenshot {path} not saved"
    return path


def css(driver, selector: str) -> list:
    """The elements matching a CSS selector (none: an empty list)."""
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def wait_for(driver, condition: Callable, what: str, timeout: float = WAIT):
    """Poll ``condition(driver)`` until it returns something true; fail naming ``what``
    and keeping a screenshot of the page as it was."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            value = condition(driver)
            if value:
                return value
        if time.monotonic() > deadline:
            shot = screenshot(driver, f"timeout-{what}")
            raise AssertionError(f"waited {timeout:.0f} s for {what} ({driver.current_url}); "
                                 f"screenshot {shot}")
        time.sleep(0.25)


def wait_css(driver, selector: str, timeout: float = WAIT):
    """The first displayed element matching ``selector`` (waits for it)."""
    def shown(d):
        return next((e for e in css(d, selector) if e.is_displayed()), None)
    return wait_for(driver, shown, selector, timeout)


def page_text(driver) -> str:
    """The visible text of the page's body."""
    return css(driver, "body")[0].text
