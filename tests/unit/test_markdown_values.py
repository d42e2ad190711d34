"""Values from files and operators reach the drift report and the merge-request note only as
code spans (issue 21 item 10; the security review's L1): no mention, link, reference,
strike-through or entity of theirs is rendered."""

from __future__ import annotations

import pytest
from ansible_collections.hungyen.mail.plugins.module_utils.apply.drift import (
    FILE_STATES,
    render_markdown,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitlab_note import (
    MARKER,
    NOTE_LIMIT,
    note_body,
)
from ansible_collections.hungyen.mail.plugins.module_utils.plan.markdown import (
    code,
    codes,
    moment,
)
from test_plan_render import HOSTILE, outside_code, spans

DOMAIN = "hungyen.gov.vn"
MARKERS = ("@all", "https", "~~", "#1", "!1", "&amp;", "&#64;", "$1", "<b>", "](")


def assert_only_in_code(text: str, value: str) -> None:
    assert value in spans(text)
    rest = outside_code(text)
    assert not [marker for marker in MARKERS if marker in rest]


def drift_report(value: str) -> dict:
    entry = {"address": "lac", "name": value, "agency": value, "before": {"status": value}}
    pending = {"action": "lock", "address": "khoa", "name": value, "held": True}
    return {"domain": DOMAIN, "drift": True,
            "summary": {"undeclared": 1, "holds": 0, "hand_edits": 1, "pending": 1},
            "undeclared": [entry], "holds": [], "pending": [pending],
            "hand_edits": [{"file": value, "state": next(iter(FILE_STATES))}]}


@pytest.mark.parametrize("value", HOSTILE)
def test_drift_report_values_are_code_spans(value):
    text = render_markdown(drift_report(value))
    assert_only_in_code(text, value)
    assert f"data/live/{value}" in spans(text)


@pytest.mark.parametrize("value", HOSTILE)
def test_note_header_values_are_code_spans(value):
    body = note_body(f"- {code(value)}\n", {"sha": value, "at": value})
    assert_only_in_code(body, value)


def test_a_cut_note_never_leaves_half_a_code_span():
    line = f"- {code('@all https://evil.example/login')}\n"
    body = note_body(line * (NOTE_LIMIT // len(line) + 5), {"sha": "c" * 40, "at": "now"})
    assert len(body) <= NOTE_LIMIT and body.startswith(MARKER)
    assert "@all" not in outside_code(body)


@pytest.mark.parametrize(("values", "shown"), [
    ((), "không có"), (None, "không có"), (("a",), "`a`"), (("a", "b`c"), "`a`, ``b`c``"),
])
def test_several_values_or_none_in_words(values, shown):
    assert codes(values) == shown and "(" not in codes(values)


@pytest.mark.parametrize(("stamp", "shown"), [
    ("2026-11-28T22:14:05+00:00", "05:14 ngày 29/11/2026"),
    ("2026-11-29T08:02:11", "15:02 ngày 29/11/2026"),  # no zone: UTC
    ("@all now", "`@all now`"),
])
def test_a_moment_is_vietnam_s_time_or_a_code_span(stamp, shown):
    assert moment(stamp) == shown
