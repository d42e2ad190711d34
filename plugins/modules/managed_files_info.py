#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: whether a role's last run still holds (its inputs and files unchanged)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: managed_files_info
short_description: Tell whether a role's last run still holds
description:
  - Reads the record M(hungyen.mail.managed_files) wrote at the end of the role's last run
    (O(state_dir)/etc/managed/O(role).json) and answers RV(current) - true when the record
    keeps the same O(inputs) digest and every file it lists is on disk with the digest it
    recorded. A role asks at its start and ends there when true and its services run.
  - O(force), or O(services_ready) false, makes the answer false too, with the reason.
  - Never writes anything. No secret is read or returned (paths and digests only).
options:
  state_dir:
    description: The server state directory; the record is under C(etc/managed/) in it.
    type: path
    required: true
  role:
    description: The role whose record this is (lower case letters, digits, underscores).
    type: str
    required: true
  inputs:
    description: The SHA-256 (64 hex digits) of the role's inputs for this run.
    type: str
    required: true
  force:
    description: Answer not current whatever the record says (the role is to run whole).
    type: bool
    default: false
  services_ready:
    description: Whether the role's services are as it leaves them (the caller asks them).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The same answer; nothing is written in either mode.
  diff_mode:
    support: none
    description: It changes nothing, so there is no difference to show.
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure it is known whether the role's last run still holds
  hungyen.mail.managed_files_info:
    state_dir: /var/lib/hymail
    role: mailserver
    inputs: "{{ mailserver_inputs_digest }}"
  register: mailserver_last_run
"""

RETURN = r"""
current:
  description: Whether nothing the role reads or writes changed.
  type: bool
  returned: always
why:
  description: Why not (Vietnamese, one reason each); empty when current.
  type: list
  elements: str
  returned: always
inputs:
  description: The O(inputs) asked about (the role records them at its end).
  type: str
  returned: always
path: {description: Where the record is., type: str, returned: always}
msg:
  description: HYD012 when current, else HYD013 with the reasons.
  type: str
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.apply import managed_files
from ansible_collections.hungyen.mail.plugins.module_utils.common.operation_messages import (
    failure_text,
)

ARGUMENT_SPEC = {
    "state_dir": {"type": "path", "required": True},
    "role": {"type": "str", "required": True},
    "inputs": {"type": "str", "required": True},
    "force": {"type": "bool", "default": False},
    "services_ready": {"type": "bool", "default": True},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        answer = managed_files.current(params["state_dir"], params["role"], params["inputs"],
                                       force=params["force"],
                                       services_ready=params["services_ready"])
    except (ValueError, OSError) as error:
        module.fail_json(msg=failure_text(error))
    module.exit_json(changed=False, inputs=params["inputs"], **answer)


if __name__ == "__main__":
    main()
