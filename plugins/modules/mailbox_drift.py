#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: report what the mail server has that the repository does not say."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailbox_drift
short_description: Report drift between the declared mailboxes and the live mail server
description:
  - Compares the desired state with the live server and lists, with stable codes, the
    mailboxes no file declares (HYD001), the emergency holds in force (HYD002), the data
    files changed by hand since the backend last wrote them (HYD003, by digest), and the
    declared changes not applied yet (HYD004).
  - Changes nothing; the result carries the report as data and as Markdown (Vietnamese).
options:
  desired_file: {description: The desired state on the mail host., type: path, required: true}
  state_dir: {description: The server state directory., type: path, required: true}
  domain: {description: The mail domain., type: str, required: true}
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Report drift
  hungyen.mail.mailbox_drift:
    desired_file: /tmp/desired.json
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
  register: drift
"""

RETURN = r"""
drift: {description: Whether anything was found., type: bool, returned: always}
summary: {description: Count per kind of finding., type: dict, returned: always}
report: {description: The report as JSON-ready data., type: dict, returned: always}
markdown: {description: The report in Vietnamese Markdown., type: str, returned: always}
msg:
  description: HYD000 and the count per kind, when anything was found.
  type: str
  returned: when drift is true
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.apply import drift
from ansible_collections.hungyen.mail.plugins.module_utils.common.operation_messages import (
    failure_text,
)

ARGUMENT_SPEC = {
    "desired_file": {"type": "path", "required": True},
    "state_dir": {"type": "path", "required": True},
    "domain": {"type": "str", "required": True},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = drift.run(module.params)
    except (ValueError, OSError) as error:
        module.fail_json(msg=failure_text(error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
