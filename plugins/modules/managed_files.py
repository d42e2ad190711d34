#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: record the configuration files a role wrote, for the drift report."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: managed_files
short_description: Record the configuration files a role wrote, with their digests and readers
description:
  - Writes O(state_dir)/etc/managed/O(role).json, mode 0600, replaced atomically - the
    SHA-256 of each file of O(files) as it is now, and the service that reads it. A role
    calls it at its end, after writing those files.
  - M(hungyen.mail.mailbox_drift) reads every such record and reports each file whose
    content differs, or that is gone, as HYD005, naming the file and its reader; the next
    apply writes the file again and reloads only that reader.
  - Reports no change when the record on disk is the same. No secret is recorded (paths,
    readers and digests only).
  - A file of O(files) that does not exist fails the module (HYD011), except in check mode,
    where the role's earlier tasks wrote nothing (it is then returned in RV(missing)).
  - With O(inputs), the record also keeps that digest of the role's inputs;
    M(hungyen.mail.managed_files_info) compares it at the role's next run.
options:
  state_dir:
    description: The server state directory; the record is under C(etc/managed/) in it.
    type: path
    required: true
  role:
    description: The role whose files these are (lower case letters, digits, underscores).
    type: str
    required: true
  files:
    description: The files the role wrote, each once.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The file's absolute path on the host.
        type: path
        required: true
      reader:
        description: The service that reads it, the one an apply reloads when it changes.
        type: str
        required: true
        choices: [postfix, dovecot, systemd, firewall, apt, rspamd, nginx, web]
  inputs:
    description:
      - The SHA-256 (64 hex digits) of what the role's run depends on, kept in the record;
        omitted, the record keeps none (and the role's next run is never skipped).
    type: str
attributes:
  check_mode:
    support: full
    description: Nothing is written.
  diff_mode:
    support: full
    description: The record before and after, as JSON text.
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the record of the mail server's configuration files is up to date
  hungyen.mail.managed_files:
    state_dir: /var/lib/hymail
    role: mailserver
    files:
      - {path: /etc/postfix/main.cf, reader: postfix}
      - {path: /etc/dovecot/dovecot.conf, reader: dovecot}
"""

RETURN = r"""
path: {description: Where the record is., type: str, returned: always}
manifest:
  description: The record - version, role, and per path its reader and sha256.
  type: dict
  returned: always
missing:
  description: The files that do not exist (check mode only; otherwise the module fails).
  type: list
  elements: str
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
    "files": {"type": "list", "elements": "dict", "required": True, "options": {
        "path": {"type": "path", "required": True},
        "reader": {"type": "str", "required": True, "choices": list(managed_files.READERS)},
    }},
    "inputs": {"type": "str"},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    try:
        result = managed_files.record(params["state_dir"], params["role"], params["files"],
                                      module.check_mode, params["inputs"])
    except (ValueError, OSError) as error:
        module.fail_json(msg=failure_text(error))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
