#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: back up, verify, restore the mail server, or purge a revoked mailbox."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailbox_backup
short_description: Back up and restore the mail server; purge a revoked mailbox's mail
description:
  - Điều 10.2.đ. O(action=backup) copies the served data files of the live generation,
    the journal, the holds and every maildir into C(<backup_dir>/<UTC stamp>/) (0700, files
    0600), with a C(MANIFEST) (sha256, size, mode, owner, path of each file) and
    C(backup.json). The data files are copied under the apply lock; the backup is written as
    C(<stamp>.partial), verified, then renamed. Then the retention policy runs.
  - O(action=verify) re-reads a backup (O(backup), default the newest, or C(all)) against
    its MANIFEST and fails when a file is missing or changed.
  - O(action=restore) without O(address) restores everything from O(backup) or the newest
    backup that verifies, never deleting mail; the data files become a new live generation.
    With O(address), only that mailbox's mail is copied back into its current home.
  - O(action=purge) removes the mail of a revoked mailbox (Điều 6.2.c) once a verified
    backup holds every message file it has, and records it in the journal.
  - Backups hold password hashes; the module never returns a file's content.
options:
  action:
    description: What to do.
    type: str
    required: true
    choices: [backup, verify, restore, purge]
  state_dir: {description: The server state directory., type: path, required: true}
  domain: {description: The mail domain., type: str, required: true}
  backup_dir: {description: 'Where backups are kept; default C(<state_dir>/backups).', type: path}
  backup:
    description: A backup's name (its UTC stamp) for verify and restore; C(all) for verify.
    type: str
  address:
    description: The mailbox to restore alone, or to purge.
    type: str
  source:
    description: The mailbox's name in the backup when it was renamed since (restore one).
    type: str
  keep:
    description: Keep at least the newest this many backups (at least 1).
    type: int
    default: 7
  keep_days: {description: Keep every backup younger than this many days., type: int, default: 30}
  force:
    description: Restore all even though accounts live now are not in the backup.
    type: bool
    default: false
  by: {description: Who purges (recorded)., type: str, default: ""}
  reason: {description: Why (recorded with a purge)., type: str, default: ""}
  tool_version:
    description: The repository version recorded in backup.json.
    type: str
    default: ""
  lock_timeout: {description: Seconds to wait for a running apply., type: float, default: 300}
  postmap: {description: The postmap command., type: str, default: postmap}
  postfix_config_dir:
    description: Postfix configuration directory for postmap; default O(state_dir)/etc/postfix.
    type: path
notes:
  - Check mode reports what would happen and writes nothing.
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure a verified backup of the mail server is taken
  hungyen.mail.mailbox_backup:
    action: backup
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    backup_dir: /srv/backup/hymail

- name: Ensure the mail of nvan is restored from the newest backup
  hungyen.mail.mailbox_backup:
    action: restore
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    address: nvan
"""

RETURN = r"""
backup:
  description: The backup taken (name, counts, bytes, path), or the name of the one used.
  type: raw
  returned: always
retention: {description: Backups kept (and why) and deleted., type: dict, returned: on backup}
verified:
  description: The verification of the backup used, or of those checked.
  type: raw
  returned: success
mail:
  description: Files copied back, messages among them, files kept as they were.
  type: dict
  returned: on restore
generation:
  description: The live generation made from the backup.
  type: str
  returned: on restore all
purged:
  description: 'What was (or would be) purged: address, home, messages, bytes, backup.'
  type: dict
  returned: on purge
hymail_warnings:
  description: Warnings with codes HYB02x the operator should read (also shown as warnings).
  type: list
  elements: str
  returned: always
msg:
  description: What happened, in Vietnamese.
  type: str
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import BackendError
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_params,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backup import site as backup_site
from ansible_collections.hungyen.mail.plugins.module_utils.backup.archive import BackupError
from ansible_collections.hungyen.mail.plugins.module_utils.common.operation_messages import (
    failure_text,
)

ARGUMENT_SPEC = {
    "action": {"type": "str", "required": True,
               "choices": ["backup", "verify", "restore", "purge"]},
    "state_dir": {"type": "path", "required": True},
    "domain": {"type": "str", "required": True},
    "backup_dir": {"type": "path"},
    "backup": {"type": "str"},
    "address": {"type": "str"},
    "source": {"type": "str"},
    "keep": {"type": "int", "default": 7},
    "keep_days": {"type": "int", "default": 30},
    "force": {"type": "bool", "default": False},
    "by": {"type": "str", "default": ""},
    "reason": {"type": "str", "default": ""},
    "tool_version": {"type": "str", "default": ""},
    "lock_timeout": {"type": "float", "default": 300},
    "postmap": {"type": "str", "default": "postmap"},
    "postfix_config_dir": {"type": "path"},
}


def run(params: dict, check_mode: bool = False) -> dict:
    """The whole module minus Ansible (tests call it in-process)."""
    defaults = {key: spec.get("default") for key, spec in ARGUMENT_SPEC.items()}
    params = defaults | params
    backend = backend_from_params(params)
    return backup_site.run(backend, params, check_mode)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_if=[("action", "purge", ["address"])])
    try:
        result = run(module.params, module.check_mode)
    except (BackupError, BackendError, ValueError, OSError) as error:
        module.fail_json(msg=failure_text(error))
    warnings = result.pop("warnings", None) or []
    for warning in warnings:
        module.warn(warning)
    module.exit_json(**result, hymail_warnings=warnings)


if __name__ == "__main__":
    main()
