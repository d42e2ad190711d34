"""The product's one clock, and the checks that no test's verdict depends on today's date.

Three checks (issue 11), all in plain ``pytest``: tests/conftest.py runs every test marked
``clock`` with the product's clock as it is, one and three years ahead; the scans below
keep every other reading of the system clock out of the product and the tests; and the last
test runs the whole unit suite under Debian's faketime, a year ahead, in a subprocess.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
import sys

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.common import clock
from helpers import ROOT

REAL = datetime.datetime(2026, 12, 6, 9, 30, 15, 123456, tzinfo=datetime.UTC)
# Reading the real clock: the date, the time of day, seconds since the epoch.
CLOCK_CALL = re.compile(r"\b(?:datetime|date)\.(?:now|today|utcnow)\(|"
                        r"\btime\.(?:time|time_ns|gmtime|localtime|ctime|asctime|strftime)\(")
TEMPLATE_CLOCK = re.compile(r"\bnow\(|ansible_date_time|strftime")
# Waits for the next whole second (Dovecot reads a changed passwd-file at most once a
# second): pacing against the kernel's clock, no verdict.
TEST_READS = {
    "tests/e2e/e2e_support.py": {"time.sleep(1.05 - time.time() % 1)"},
    "tests/e2e/crash_support.py": {"time.sleep(1.05 - time.time() % 1)"},
}
FAKETIME_SHIFT = "+365d"


@pytest.fixture(name="system")
def fixture_system(monkeypatch):
    monkeypatch.setattr(clock, "system", lambda: REAL)
    monkeypatch.delenv(clock.ENV, raising=False)


@pytest.mark.parametrize(("setting", "expected"), [
    ("", REAL),
    ("  ", REAL),
    ("+365d", REAL + datetime.timedelta(days=365)),
    ("-2h30m", REAL - datetime.timedelta(hours=2, minutes=30)),
    ("+1d12h5m7s", REAL + datetime.timedelta(days=1, hours=12, minutes=5, seconds=7)),
    ("2026-11-29T12:00:00+00:00", datetime.datetime(2026, 11, 29, 12, tzinfo=datetime.UTC)),
    ("2026-11-29T19:00:00+07:00", datetime.datetime(2026, 11, 29, 12, tzinfo=datetime.UTC)),
])
def test_hymail_now_moves_or_stands_the_clock(system, monkeypatch, setting, expected):
    monkeypatch.setenv(clock.ENV, setting)
    moment = clock.now()
    assert moment == expected.replace(microsecond=0) and moment.tzinfo == datetime.UTC


@pytest.mark.parametrize("setting", ["tomorrow", "365d", "+1y", "+", "2026-11-29T12:00:00",
                                     "2026-13-01T00:00:00+00:00"])
def test_hymail_now_refuses_what_it_cannot_read(system, monkeypatch, setting):
    monkeypatch.setenv(clock.ENV, setting)
    with pytest.raises(clock.ClockError, match="HYC001"):
        clock.now()


def test_a_standing_clock_never_reads_the_system_clock(monkeypatch):
    monkeypatch.setattr(clock, "system", lambda: pytest.fail("read the system clock"))
    monkeypatch.setenv(clock.ENV, "2030-01-01T00:00:00+00:00")
    assert clock.now().year == 2030


@pytest.mark.clock
def test_the_clock_mark_moves_the_products_clock(moved_clock):
    ahead = (clock.now() - clock.system()).total_seconds() / 86400
    if moved_clock is None:
        assert os.environ.get(clock.ENV) or abs(ahead) < 1
    else:
        assert round(ahead) == int(moved_clock.strip("+d"))


def scan(paths, pattern: re.Pattern) -> dict[str, set[str]]:
    found = {}
    for path in paths:
        for line in path.read_text("utf-8").splitlines():
            if pattern.search(line):
                found.setdefault(str(path.relative_to(ROOT)), set()).add(line.strip())
    return found


def test_only_the_clock_module_reads_the_system_clock():
    """Every moment the product writes or compares with comes from common/clock.py, so
    HYMAIL_NOW and the tests' moved clock reach them all. ``time.time()`` is left only
    where a file's modification time is set for, or compared with, the kernel's clock."""
    code = [*(ROOT / "plugins").rglob("*.py"), *(ROOT / "tools").rglob("*.py")]
    found = scan(code, CLOCK_CALL)
    assert found.pop("plugins/module_utils/common/clock.py") == {
        "return datetime.datetime.now(datetime.UTC)"}
    assert {path: lines for path, lines in found.items()
            if any("st_mtime" not in line for line in lines)} == {}
    templates = [p for p in (ROOT / "playbooks").rglob("*") if p.suffix in (".yml", ".j2")]
    assert scan(templates, TEMPLATE_CLOCK) == {}


def test_no_test_reads_the_real_clock():
    """A test reads "now" from the product's clock (common/clock.py, moved by the ``clock``
    mark or stood still with ``clock_at``), or compares moments it made itself."""
    tests = sorted((ROOT / "tests").rglob("*.py"))
    found = scan([path for path in tests if path.name != "test_clock.py"], CLOCK_CALL)
    assert found == TEST_READS, ("a test reads the real clock: take the time from "
                                 "common/clock.py (tests/conftest.py) or make it relative")


def test_the_unit_tests_pass_a_year_ahead_under_faketime(tmp_path):
    """The whole unit suite again, in a subprocess under Debian's faketime one year ahead:
    catches what the ``clock`` mark cannot, a test or a library that reads the clock by
    itself. libfaketime moves what a process reads, not the times the kernel stamps on new
    files: a test that compares a new file's mtime with the clock fails only here."""
    faketime = shutil.which("faketime")
    if faketime is None:
        message = "faketime is not installed: make test-deps installs it (Debian: faketime)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # The monotonic clock moves by the same constant, so durations keep their length;
    # FAKETIME_DONT_FAKE_MONOTONIC=1 would break time.sleep (EINVAL, faketime 0.9.10).
    env = {key: value for key, value in os.environ.items()
           if key != clock.ENV and not key.startswith("FAKETIME")}
    moved = [faketime, "-f", FAKETIME_SHIFT, sys.executable]
    real, ahead = (float(subprocess.run([*prefix, "-c", "import time; print(time.time())"],
                                        env=env, capture_output=True, text=True, timeout=60,
                                        check=True).stdout)
                   for prefix in ([sys.executable], moved))
    assert ahead - real > 364 * 86400, "faketime moved nothing"
    me = "tests/unit/test_clock.py::test_the_unit_tests_pass_a_year_ahead_under_faketime"
    command = [*moved, "-m", "pytest", "tests/unit", "-q", "-p", "no:cacheprovider",
               "--basetemp", str(tmp_path / "base"), "--deselect", me]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=900, check=False)
    lines = result.stdout.splitlines()
    summary = [line for line in lines if line.startswith(("FAILED", "ERROR"))] + lines[-1:]
    assert result.returncode == 0, (f"a year ahead ({FAKETIME_SHIFT}), under faketime:\n"
                                    + "\n".join(summary) + result.stderr[-2000:])
    assert "passed" in lines[-1], lines[-1]


@pytest.mark.parametrize("stamp, shown", [
    ("2026-11-28T22:14:05+00:00", "05:14 ngày 29/11/2026"),
    ("2026-11-28T22:14:05", "05:14 ngày 29/11/2026"),
    ("2026-12-31T23:59:00+07:00", "23:59 ngày 31/12/2026"),
    ("không phải thời điểm", "không phải thời điểm"),
])
def test_vietnam_time(stamp, shown):
    assert clock.vietnam_time(stamp) == shown
