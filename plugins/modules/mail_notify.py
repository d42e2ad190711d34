#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: send the pending notices of the outbox to the agencies by SMTP."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mail_notify
short_description: Send the notices of the outbox to the agency mailboxes (Điều 6, 7.2.b, 12.1)
description:
  - Reads the notices the reconcile wrote to C(<state_dir>/outbox/<recipient>.jsonl) on the
    mail host, renders each with the Jinja2 templates (C(subject.txt.j2), C(body.txt.j2))
    and sends it by SMTP to O(smtp_host):O(smtp_port) from the operator mailbox.
  - A notice is removed from the outbox only after the SMTP server accepted it. One that
    is refused or cannot be sent stays and is sent on the next run; its error (HYN0xx)
    is reported as a warning, not a failure.
  - Check mode renders every notice (so a broken template fails) and sends nothing.
options:
  state_dir:
    description: The server state directory (docs/architecture.md).
    type: path
    required: true
  domain:
    description: The mail domain.
    type: str
    required: true
  sender:
    description:
      - Local part of the operator mailbox the notices come from; default O(operator.mailbox).
    type: str
  operator:
    description:
      - The operator as the inventory names it (C(operator) in group_vars), for the notices'
        sender, greeting of its own copy and footer; no name of it is written in the code.
    type: dict
    default: {}
    suboptions:
      mailbox: {description: Local part of its mailbox., type: str}
      name: {description: Its full name (the sender)., type: str}
      short_name: {description: Its short name in running text., type: str}
      technical_unit: {description: "Its technical unit, which answers questions.", type: str}
  regulation:
    description:
      - The regulation as the inventory names it (C(regulation) in group_vars), cited in
        the notices' one C(Căn cứ) sentence.
    type: dict
    default: {}
    suboptions:
      title: {description: Its title., type: str}
      decision_number: {description: The number of the decision it is attached to., type: str}
      date: {description: The decision's date (ISO)., type: str}
      issuer: {description: Who issued the decision., type: str}
  smtp_host:
    description: The SMTP server (the province's own Postfix).
    type: str
    default: 127.0.0.1
  smtp_port:
    description: Its port.
    type: int
    default: 25
  smtp_starttls:
    description: Use STARTTLS before sending.
    type: bool
    default: false
  templates:
    description:
      - The templates by file name (C(subject.txt.j2), C(body.txt.j2), and any file they
        include), as read on the controller from C(playbooks/templates/notify/).
    type: dict
    required: true
  password_page:
    description:
      - Where an official changes the password a notice hands over (the inventory's
        C(mailserver_password_page)); the notices name it. Empty, they name no address.
    type: str
    default: ""
  only:
    description: Send only the notices of these recipients (local parts); default all.
    type: list
    elements: str
    default: []
  lock_timeout:
    description: Seconds to wait for a running apply to finish.
    type: int
    default: 120
notes:
  - Notices hold initial passwords; they are never returned, logged or shown.
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure every pending notice is sent
  hungyen.mail.mail_notify:
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    operator: "{{ operator }}"
    regulation: "{{ regulation }}"
    smtp_host: 127.0.0.1
    smtp_port: 25
    templates:
      subject.txt.j2: "{{ lookup('ansible.builtin.file', 'templates/notify/subject.txt.j2') }}"
      body.txt.j2: "{{ lookup('ansible.builtin.file', 'templates/notify/body.txt.j2') }}"
"""

RETURN = r"""
sent: {description: Notices accepted by the SMTP server and removed from the outbox., type: int,
       returned: always}
kept: {description: Notices that could not be sent and stay in the outbox., type: int,
       returned: always}
would_send:
  description: In check mode, the notices that would be sent.
  type: int
  returned: always
notices:
  description: One row per notice - C(id), C(to), C(status) (sent, kept, would_send), C(error).
  type: list
  elements: dict
  returned: always
errors: {description: The distinct errors (HYN0xx) of kept notices., type: list, elements: str,
         returned: always}
summary: {description: The three counts., type: dict, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.common.glossary import (
    Operator,
    Regulation,
)
from ansible_collections.hungyen.mail.plugins.module_utils.notices.messages import render
from ansible_collections.hungyen.mail.plugins.module_utils.notices.notify import (
    NotifyError,
    SmtpSettings,
    send_pending,
)

OPERATOR_OPTIONS = {key: {"type": "str"} for key in (
    "mailbox", "name", "short_name", "technical_unit")}
REGULATION_OPTIONS = {key: {"type": "str"} for key in (
    "title", "decision_number", "date", "issuer")}

ARGUMENT_SPEC = {
    "state_dir": {"type": "path", "required": True},
    "domain": {"type": "str", "required": True},
    "sender": {"type": "str"},
    "operator": {"type": "dict", "default": {}, "options": OPERATOR_OPTIONS},
    "regulation": {"type": "dict", "default": {}, "options": REGULATION_OPTIONS},
    "smtp_host": {"type": "str", "default": "127.0.0.1"},
    "smtp_port": {"type": "int", "default": 25},
    "smtp_starttls": {"type": "bool", "default": False},
    "templates": {"type": "dict", "required": True},
    "password_page": {"type": "str", "default": "", "no_log": False},  # an address, no secret
    "only": {"type": "list", "elements": "str", "default": []},
    "lock_timeout": {"type": "int", "default": 120},
}


def run(params: dict, check_mode: bool = False) -> dict:
    """Send the pending notices; the whole module minus Ansible."""
    params = {key: spec.get("default") for key, spec in ARGUMENT_SPEC.items()} | params
    domain = params["domain"].lower()
    operator = Operator.from_vars(_given(params["operator"]))
    sender = params["sender"] or operator.mailbox
    if not sender:
        raise NotifyError(render("HYN008"))
    settings = SmtpSettings(host=params["smtp_host"], port=params["smtp_port"],
                            sender=f"{sender}@{domain}", domain=domain,
                            starttls=params["smtp_starttls"], operator=operator,
                            regulation=Regulation.from_vars(_given(params["regulation"])),
                            password_page=params["password_page"] or "")
    return send_pending(params["state_dir"], params["templates"], settings, check_mode,
                        params["only"], params["lock_timeout"])


def _given(options: dict | None) -> dict:
    """The suboptions that were set (Ansible fills the others with None)."""
    return {key: value for key, value in (options or {}).items() if value}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module.params, module.check_mode)
    except (NotifyError, OSError) as error:
        module.fail_json(msg=str(error))
    for error in result["errors"]:
        module.warn(error)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
