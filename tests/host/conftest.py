"""The test host (tools/testhost.py): a bare Debian 12 host with systemd, booted once per session.

``HYMAIL_TESTHOST=skip`` skips every test under tests/host (the summary says so); otherwise
a host that cannot boot is an error of the tests that need it, never a skip.
``HYMAIL_TESTHOST_KEEP=1`` leaves the host up after the session (``make testhost-destroy``).
``HYMAIL_TESTHOST_NAME=<name>`` boots another host (its own veth, subnet, build/testhost-<name>/).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
CHECKOUT = HERE.parent.parent
sys.path.insert(0, str(CHECKOUT / "tools"))

import testhost as testhost_tool  # noqa: E402

SKIP_ENV = "HYMAIL_TESTHOST"
KEEP_ENV = "HYMAIL_TESTHOST_KEEP"
SKIPPED: list[str] = []


def skip_requested() -> bool:
    value = os.environ.get(SKIP_ENV, "")
    if value not in ("", "skip"):
        raise pytest.UsageError(f"{SKIP_ENV}={value!r}: the only value it takes is 'skip'")
    return value == "skip"


def pytest_collection_modifyitems(config, items):
    if not skip_requested():
        return
    mark = pytest.mark.skip(reason=f"test host tests skipped on request ({SKIP_ENV}=skip)")
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(mark)
            SKIPPED.append(item.nodeid)


def pytest_terminal_summary(terminalreporter):
    if SKIPPED:
        terminalreporter.write_sep(
            "=", f"{len(SKIPPED)} test-host tests (tests/host) SKIPPED on request: "
            f"{SKIP_ENV}=skip; production over SSH was not tested", yellow=True, bold=True)


def boot(name: str | None = None) -> testhost_tool.TestHost:
    """Boot a test host; a failure fails the test (an error in a fixture), never skips it."""
    host = testhost_tool.TestHost(CHECKOUT, name)
    try:
        host.up()
    except (testhost_tool.TestHostError, subprocess.CalledProcessError, OSError) as exc:
        host.destroy()  # build output (console.log) stays for a post-mortem
        pytest.fail(f"the test host {host.name} did not boot: {exc}", pytrace=False)
    return host


@pytest.fixture(scope="session")
def testhost():
    """The session's bare test host (fresh copy, nothing deployed); destroyed at the end."""
    host = boot()
    yield host
    if os.environ.get(KEEP_ENV) != "1":
        host.down()


@pytest.fixture(scope="session")
def deployed(testhost):
    """The session's host after the first deploy, made as an operator makes it (B, issue 19):
    plan.yml and apply.yml --check against the bare host, then apply.yml (systemd mode, the
    example inventory's production hash settings) while a probe polls the mail ports every
    100 ms. Returns a deploy_support.Deployment (``.host`` is the test host)."""
    import deploy_support

    done = deploy_support.deploy(testhost)
    deploy_support.ok(done.apply, "the first apply.yml on the bare host")
    return done
