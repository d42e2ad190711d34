#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: the figures of the periodic report, read from the mail server."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailbox_report
short_description: Figures of the periodic report on the official e-mail (Điều 10.1.e, 11.5)
description:
  - Reads, on the mail host, the accounts (Postfix + Dovecot files under O(state_dir), with
    the directory data each apply recorded) and the journal C(data/journal.jsonl), and
    returns the report's figures per agency and for the province - mailboxes by status,
    changes in the period, locked mailboxes with their reason and age, initial passwords
    never changed after O(stale_days) days, and mailboxes per district.
  - Reads the usage records Dovecot keeps under C(usage/) (each account's last login, one
    file per account; when a delegate opened an agency mailbox's shared folders) and lists
    agency mailboxes nobody read in the last day (Điều 12.2.a) and personal mailboxes never
    used O(unused_days) days after they were created (Điều 10.1.e). No message content is
    recorded or read.
  - Changes nothing on the server; returns no secret. C(report_write) turns the figures
    into Markdown, CSV and HTML.
options:
  state_dir:
    description: The server state directory (docs/architecture.md).
    type: path
    required: true
  domain:
    description: The mail domain.
    type: str
    required: true
  desired_file:
    description:
      - A desired state (C(mailbox_validate)) whose agency names, kinds and parents take
        precedence over those recorded on the server. Optional.
    type: path
  first_day:
    description: First day of the period (YYYY-MM-DD); default the O(days) days ending O(last_day).
    type: str
  last_day:
    description: Last day of the period (YYYY-MM-DD), included; default today (Vietnam's time).
    type: str
  days:
    description: Length of the default period in days, O(last_day) included.
    type: int
    default: 30
  stale_days:
    description: List initial passwords still unchanged after this many days (Điều 12.1).
    type: int
    default: 7
  unused_days:
    description: List personal mailboxes never used this many days after they were created.
    type: int
    default: 14
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the report's figures are read from the mail server
  hungyen.mail.mailbox_report:
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    first_day: "2026-11-01"
    last_day: "2026-11-30"
  register: report_figures
"""

RETURN = r"""
report:
  description: Every figure (province, agencies, districts, mailboxes).
  type: dict
  returned: always
summary: {description: The province's counts by status and of changes in the period.,
          type: dict, returned: always}
warnings_usage:
  description: Coded messages (HYR020, HYR021) about usage records missing or unreadable.
  type: list
  elements: str
  returned: always
"""

import datetime
import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.apply import journal
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common import clock
from ansible_collections.hungyen.mail.plugins.module_utils.common.glossary import day
from ansible_collections.hungyen.mail.plugins.module_utils.common.operation_messages import (
    failure_text,
    render,
)
from ansible_collections.hungyen.mail.plugins.module_utils.declared.model import Mailbox
from ansible_collections.hungyen.mail.plugins.module_utils.publish import messages
from ansible_collections.hungyen.mail.plugins.module_utils.publish.report import (
    Period,
    build_report,
)
from ansible_collections.hungyen.mail.plugins.module_utils.usage.reader import (
    read_usage,
    usage_dir,
)

ARGUMENT_SPEC = {
    "state_dir": {"type": "path", "required": True},
    "domain": {"type": "str", "required": True},
    "desired_file": {"type": "path"},
    "first_day": {"type": "str"},
    "last_day": {"type": "str"},
    "days": {"type": "int", "default": 30},
    "stale_days": {"type": "int", "default": 7},
    "unused_days": {"type": "int", "default": 14},
}


class ReportError(Exception):
    """A parameter the operator must fix (code, then what to do)."""


def run(params: dict, now: datetime.datetime | None = None) -> dict:
    """The report's figures; the whole module minus Ansible."""
    params = {key: spec.get("default") for key, spec in ARGUMENT_SPEC.items()} | params
    domain = params["domain"].lower()
    period = resolve_period(params, now or clock.now())
    accounts = backend_from_settings(params["state_dir"], domain).read_state()
    entries = journal.read(journal.journal_path(params["state_dir"]))
    usage = read_usage(params["state_dir"], datetime.datetime.fromisoformat(period.now))
    notes = (list(usage.warnings) if usage else
             [render("HYR020", path=usage_dir(params["state_dir"]))])
    report = build_report(accounts, entries, load_desired(params["desired_file"]), period, domain,
                          usage)
    province = report["province"]
    summary = {**province["statuses"], "changes": province["changes"]["total"],
               "locked": len(province["locked"]), "stale": len(province["stale"]),
               "unread": len(province["unread"]), "unused": len(province["unused"])}
    return {"changed": False, "report": report, "summary": summary, "warnings_usage": notes}


def resolve_period(params: dict, now: datetime.datetime) -> Period:
    """The period asked for, or the last ``days`` days, today included (Vietnam's time)."""
    until = _date(params["last_day"], "last_day") or now.astimezone(clock.VIETNAM).date()
    since = (_date(params["first_day"], "first_day")
             or until - datetime.timedelta(days=max(params["days"], 1) - 1))
    if since > until:
        raise ReportError(messages.render("HYP002", since=day(since.isoformat()),
                                          until=day(until.isoformat())))
    return Period(since.isoformat(), until.isoformat(), params["stale_days"], now.isoformat(),
                  params["unused_days"])


def _date(text: str | None, name: str) -> datetime.date | None:
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        raise ReportError(messages.render("HYP001", name=name, text=text)) from error


def load_desired(path: str | None) -> list[Mailbox]:
    """Declared mailboxes, when a desired file is given."""
    if not path:
        return []
    with open(path, encoding="utf-8") as handle:
        return [Mailbox.from_dict(item) for item in json.load(handle).get("mailboxes", [])]


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module.params)
    except (ReportError, OSError, ValueError) as error:
        module.fail_json(msg=failure_text(error))
    for note in result["warnings_usage"]:
        module.warn(note)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
