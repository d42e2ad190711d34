"""The published directory in a real browser: Debian's headless Chromium, opened from file://.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and the pinned ``selenium``;
without them the tests fail (they do not skip) and say how to install them.
"""

from __future__ import annotations

import pathlib
import shutil
import tempfile

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
    run_validation,
)
from ansible_collections.hungyen.mail.plugins.module_utils.publish import directory as d

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "good"
TEMPLATES = ROOT / "playbooks" / "templates" / "directory"
SCREENSHOT = ROOT / "artifacts" / "directory.png"
INSTALL = ("apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
           "--no-install-recommends chromium chromium-driver")
# python.md: without the background-networking flags Chromium keeps dialling out, and the
# closed network here refuses it; a fresh profile keeps runs independent.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900", "--lang=vi")

pytestmark = pytest.mark.browser


def require(program: str) -> str:
    path = shutil.which(program)
    if not path:
        pytest.fail(f"{program} not found: the browser tests need Debian's Chromium. "
                    f"Install it with: {INSTALL}", pytrace=False)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> pathlib.Path:
    """The directory built from tests/fixtures/good/, as the playbook builds it."""
    base = tmp_path_factory.mktemp("directory")
    run_validation({"mailboxes_dir": str(FIXTURES), "schema_file": str(ROOT / "schemas" /
                    "agency.schema.json"), "desired_file": str(base / "desired.json")})
    domain, mailboxes = d.read_desired((base / "desired.json").read_text("utf-8"))
    files = d.render_site(d.build_directory(mailboxes, domain), str(TEMPLATES))
    d.sync_files(str(base / "site"), files)
    return base / "site"


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the whole module (starting one takes a while)."""
    chromium, chromedriver = require("chromium"), require("chromedriver")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium is missing: .venv/bin/pip install -r requirements.txt",
                    pytrace=False)
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(chromedriver))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser, site):
    """The province page, freshly loaded from disk."""
    browser.get((site / "index.html").as_uri())
    browser.get_log("browser")  # start each test with an empty console
    return browser


def css(driver, selector):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def row(driver, name: str):
    """The table row whose header cell starts with ``name``."""
    matches = [r for r in css(driver, "#danh-ba tr.entry")
               if r.get_attribute("textContent").strip().startswith(name)]
    assert len(matches) == 1, f"one row for {name}, found {len(matches)}"
    return matches[0]


def visible_rows(driver) -> list[str]:
    """Names of the rows the browser shows (the row header's text, without its tag)."""
    name = "return arguments[0].cells[0].firstChild.textContent.trim()"
    return [driver.execute_script(name, r) for r in css(driver, "#danh-ba tr.entry")
            if r.is_displayed()]


def status(driver) -> str:
    return css(driver, "#ket-qua")[0].text


def test_search_without_diacritics_finds_the_person(page):
    search = css(page, "#tim-kiem")[0]
    assert search.is_displayed(), "the search form is shown once its script runs"
    search.send_keys("nguyen hoang phuc")
    assert row(page, "Nguyễn Hoàng Phúc").is_displayed()
    for other in ("Trần Văn An", "Lê Thị Hoa", "Đỗ Đức Đạt", "Sở Thông tin và Truyền thông"):
        assert not row(page, other).is_displayed(), f"{other} should be hidden"
    assert visible_rows(page) == ["Nguyễn Hoàng Phúc"]
    assert status(page) == "Tìm thấy 1 trong số 11 hộp thư."
    SCREENSHOT.parent.mkdir(exist_ok=True)
    assert page.save_screenshot(str(SCREENSHOT)), "screenshot saved"


def test_search_with_diacritics_and_by_address_finds_the_same(page):
    search = css(page, "#tim-kiem")[0]
    search.send_keys("NGUYỄN Hoàng")
    assert visible_rows(page) == ["Nguyễn Hoàng Phúc"]
    search.clear()
    search.send_keys("lthoa@")
    assert visible_rows(page) == ["Lê Thị Hoa"]


def test_agency_filter_combines_with_the_search(page):
    from selenium.webdriver.support.ui import Select

    Select(css(page, "#co-quan")[0]).select_by_visible_text("Ủy ban nhân dân huyện Tiên Lữ")
    assert visible_rows(page) == ["Ủy ban nhân dân huyện Tiên Lữ", "Phòng Nội vụ",
                                  "Phòng Tài chính - Kế hoạch", "Trần Văn An", "Lê Thị Hoa"]
    assert [b.get_attribute("data-agency") for b in css(page, "#danh-ba tbody")
            if b.is_displayed()] == ["tienlu"]
    css(page, "#tim-kiem")[0].send_keys("le thi")
    assert visible_rows(page) == ["Lê Thị Hoa"]
    css(page, "#tim-kiem")[0].clear()
    css(page, "#tim-kiem")[0].send_keys("nguyen hoang phuc")  # lives in another agency
    assert visible_rows(page) == []
    assert status(page) == "Không tìm thấy hộp thư nào phù hợp."
    assert css(page, "#khong-thay")[0].is_displayed()


def test_skip_link_comes_first_and_the_page_loads_nothing_external(page):
    from selenium.webdriver.common.keys import Keys

    css(page, "body")[0].send_keys(Keys.TAB)
    assert page.switch_to.active_element.get_attribute("class") == "skip-link"
    assert page.execute_script("return performance.getEntriesByType('resource').length") == 0
    errors = [entry["message"] for entry in page.get_log("browser")
              if entry["level"] == "SEVERE"]
    assert errors == [], "no console errors (a Content-Security-Policy refusal shows here)"


def test_agency_page_lists_its_officials(browser, site):
    browser.get((site / "coquan" / "tienlu.html").as_uri())
    assert browser.find_element("tag name", "h1").text == "Ủy ban nhân dân huyện Tiên Lữ"
    cells = [c.text for c in css(browser, "tbody th[scope=row]")]
    assert cells == ["Ủy ban nhân dân huyện Tiên Lữ", "Phòng Nội vụ", "Phòng Tài chính - Kế hoạch",
                     "Trần Văn An", "Lê Thị Hoa"]
    assert "Phạm Minh Đức" not in browser.page_source  # locked
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
