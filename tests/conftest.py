"""The suite's clock (issue 11): no verdict may depend on today's date.

The product reads the time only through ``common/clock.py`` (``HYMAIL_NOW`` moves it). A test
marked ``clock`` makes it read the system clock (a backup's name, a purge's journal entry,
a hold, a report's default period...): it runs three times, with the clock as it is, one
year ahead and three years ahead, so a test that compares a fixed date with the clock fails
the day it is written, not months later. A test under tests/unit/ that makes the product
read the system clock without the mark fails and says so, so none escapes the moved clock.
A test that needs a fixed "now" sets ``HYMAIL_NOW`` to a moment (the ``clock_at`` fixture):
it reads no clock and needs no mark. ``tests/unit/test_clock.py`` also runs the unit tests
under Debian's faketime a year ahead.
"""

from __future__ import annotations

import datetime
import pathlib

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.common import clock

SHIFTS = {"clock-now": None, "clock+1y": "+365d", "clock+3y": "+1096d"}
UNIT = pathlib.Path(__file__).resolve().parent / "unit"


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("clock"):
        metafunc.parametrize("moved_clock", list(SHIFTS.values()), ids=list(SHIFTS),
                             indirect=True)


@pytest.fixture(autouse=True, name="moved_clock")
def fixture_moved_clock(request, monkeypatch):
    """Move the product's clock for a test marked ``clock``; elsewhere in tests/unit/, fail
    a test that makes the product read the system clock without the mark."""
    if request.node.get_closest_marker("clock"):
        shift = request.param
        if shift:
            monkeypatch.setenv(clock.ENV, shift)
        yield shift
        return
    if not request.path.is_relative_to(UNIT):
        yield None
        return
    reads, system = [], clock.system

    def counted() -> datetime.datetime:
        reads.append(True)
        return system()

    monkeypatch.setattr(clock, "system", counted)
    yield None
    if reads:
        pytest.fail(f"{request.node.nodeid} made the product read the system clock "
                    f"({len(reads)} times) without @pytest.mark.clock: mark it, so it also runs "
                    "with the clock one and three years ahead, or fix the time with the "
                    "clock_at fixture (tests/conftest.py)", pytrace=False)


@pytest.fixture(name="clock_at")
def fixture_clock_at(monkeypatch):
    """``clock_at(moment)``: the product's clock stands at ``moment`` for the test."""

    def stand(moment: datetime.datetime) -> datetime.datetime:
        monkeypatch.setenv(clock.ENV, moment.isoformat())
        return moment

    return stand
