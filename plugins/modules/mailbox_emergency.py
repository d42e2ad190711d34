#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: emergency lock, revoke or release of one mailbox (Điều 10.1.g)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailbox_emergency
short_description: Lock or revoke one mailbox at once, and hold it until the repository agrees
description:
  - Sở TTTT may lock or revoke a mailbox at once when security is threatened (Điều 10.1.g),
    without waiting for a merge request. The action is applied to the live server and a hold
    is recorded in C(<state_dir>/data/holds.json) with who, when, why and what.
  - C(mailbox_reconcile) never undoes a held action; the hold ends when the repository
    declares the held status (C(locked) or C(revoked)), or with O(action=release), which
    leaves the server as it is until the next apply.
options:
  state_dir: {description: The server state directory., type: path, required: true}
  domain: {description: The mail domain., type: str, required: true}
  address:
    description: The mailbox, C(name) or C(name@domain).
    type: str
    required: true
  action:
    description: What to do.
    type: str
    required: true
    choices: [lock, revoke, release]
  reason: {description: Why (recorded; required for lock and revoke)., type: str, default: ""}
  by: {description: Who acts (recorded)., type: str, required: true}
  lock_reason:
    description: The Điều 7.1 reason recorded on a locked account.
    type: str
    default: compromised
    choices: [violation, compromised, spam_malware]
  postmap: {description: The postmap command., type: str, default: postmap}
  postfix_config_dir:
    description: Postfix configuration directory for postmap; default O(state_dir)/etc/postfix.
    type: path
notes:
  - Check mode reports what would happen; diff mode gives the account's before and after.
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the mailbox is locked at once
  hungyen.mail.mailbox_emergency:
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    address: nvan@hungyen.gov.vn
    action: lock
    reason: tài khoản bị chiếm quyền, phát tán thư lừa đảo
    by: pheduyet-sotttt
"""

RETURN = r"""
hold: {description: The hold recorded (lock and revoke)., type: dict, returned: when set}
released: {description: The hold that was released., type: dict, returned: when released}
change:
  description: The lock or revoke applied, if any.
  type: dict
  returned: when set
holds_file: {description: Where holds are kept on the mail host., type: str, returned: when changed}
msg:
  description: What happened, in Vietnamese.
  type: str
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.apply import emergency
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import BackendError
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_params,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common.operation_messages import (
    failure_text,
)

ARGUMENT_SPEC = {
    "state_dir": {"type": "path", "required": True},
    "domain": {"type": "str", "required": True},
    "address": {"type": "str", "required": True},
    "action": {"type": "str", "required": True, "choices": ["lock", "revoke", "release"]},
    "reason": {"type": "str", "default": ""},
    "by": {"type": "str", "required": True},
    "lock_reason": {"type": "str", "default": "compromised",
                    "choices": ["violation", "compromised", "spam_malware"]},
    "postmap": {"type": "str", "default": "postmap"},
    "postfix_config_dir": {"type": "path"},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    backend = backend_from_params(params)
    try:
        result = emergency.run(backend, params["state_dir"], params, module.check_mode,
                               module._diff)
    except (BackendError, ValueError, OSError) as error:
        module.fail_json(msg=failure_text(error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
