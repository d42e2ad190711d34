#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: the served data files' first generation, owners and modes."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailbox_store
short_description: Set up the generations of the files the mail servers read
description:
  - The Postfix and Dovecot data files live in immutable generations,
    C(state_dir/data/gen/<n>/), and C(state_dir/data/live) points at the current one
    (docs/operations.md). This module creates generation 0 with empty files when there is
    none, moving in the files of the flat layout of earlier versions (C(data/users.passwd)
    ...), and finishes what an interrupted apply left (under the apply lock).
  - It then gives the live files the owners and modes of O(files); later generations
    copy them. Idempotent; nothing is changed in check mode.
options:
  state_dir: {description: The server state directory., type: path, required: true}
  domain: {description: The mail domain., type: str, required: true}
  postfix_config_dir: {description: Postfix configuration directory for postmap., type: path}
  files:
    description: Owner, group and mode (octal string) by data file name.
    type: dict
    default: {}
  lock_timeout: {description: Seconds to wait for a running apply., type: float, default: 600}
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the data files are present.
  hungyen.mail.mailbox_store:
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    files:
      users.passwd: {group: dovecot, mode: "0640"}
"""

RETURN = r"""
created: {description: Whether generation 0 was created or migrated., type: bool, returned: always}
generation: {description: The live generation's directory., type: str, returned: always}
fixed: {description: Files whose owner or mode was corrected., type: list, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.apply import after_commit
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
    "postfix_config_dir": {"type": "path"},
    "files": {"type": "dict", "default": {}},
    "lock_timeout": {"type": "float", "default": 600},
}


def run(params: dict, check_mode: bool = False) -> dict:
    backend = backend_from_params(params)
    if check_mode:
        fixed = backend.modes_to_fix(params.get("files") or {})
        return {"changed": not backend.generations.exists() or bool(fixed), "created": False,
                "generation": backend.live_dir(), "fixed": fixed}
    with backend.locked(params.get("lock_timeout") or 600):
        created = after_commit.recover(backend)["layout_created"]
        fixed = backend.fix_modes(params.get("files") or {})
    return {"changed": created or bool(fixed), "created": created,
            "generation": backend.live_dir(), "fixed": fixed}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module.params, module.check_mode)
    except (BackendError, KeyError, ValueError, OSError) as error:
        module.fail_json(msg=failure_text(error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
