#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: write a hash-free snapshot of the mail server's live state."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailbox_snapshot
short_description: Write a snapshot of the live state (no password hash) for plans elsewhere
description:
  - Reads the live accounts and emergency holds of the server under O(state_dir) and writes
    them, with the state digest and the live generation, to O(dest) - mode 0600, replaced
    atomically. No password and no password hash is ever in it; a snapshot with anything
    hash-shaped is refused (HYR018).
  - With O(src) instead, checks a snapshot fetched from the mail host and writes it to
    O(dest) on the controller the same way.
  - A merge request's plan is computed from the snapshot (the C(snapshot_file) option of
    M(hungyen.mail.mailbox_reconcile)) without connecting to the mail host.
options:
  dest:
    description: Where to write the snapshot.
    type: path
    required: true
  domain:
    description: The mail domain; a snapshot of another domain is refused.
    type: str
    required: true
  state_dir:
    description: The server state directory to take the snapshot of.
    type: path
  src:
    description: A snapshot file to check and copy to O(dest) (instead of O(state_dir)).
    type: path
notes:
  - Reads only on the mail server; in check mode nothing is written.
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure a snapshot of the live state is written
  hungyen.mail.mailbox_snapshot:
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    dest: /var/lib/hymail/snapshot.json
"""

RETURN = r"""
snapshot_file: {description: Where the snapshot is., type: str, returned: always}
accounts: {description: How many accounts it holds., type: int, returned: always}
holds:
  description: The addresses under an emergency hold.
  type: list
  elements: str
  returned: always
state_digest:
  description: The digest of the live state (a plan's C(state_digest)).
  type: str
  returned: always
generation: {description: The live generation it was taken of., type: str, returned: always}
taken_at: {description: When it was taken (ISO 8601)., type: str, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.apply import snapshot
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import BackendError
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.snapshot import (
    read_document,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common.operation_messages import (
    failure_text,
)

ARGUMENT_SPEC = {
    "dest": {"type": "path", "required": True},
    "domain": {"type": "str", "required": True},
    "state_dir": {"type": "path"},
    "src": {"type": "path"},
}


def run(params: dict, check_mode: bool = False) -> dict:
    """The whole module minus Ansible."""
    domain = params["domain"].lower()
    if params.get("src"):
        taken = read_document(params["src"], domain)
    else:
        taken = snapshot.take(backend_from_settings(params["state_dir"], domain),
                              params["state_dir"])
    changed = True if check_mode else snapshot.write(params["dest"], taken, domain)
    return {"changed": changed, **snapshot.summary(taken, params["dest"])}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_one_of=[("state_dir", "src")],
                           mutually_exclusive=[("state_dir", "src")])
    try:
        result = run(module.params, module.check_mode)
    except (BackendError, ValueError, OSError) as error:
        module.fail_json(msg=failure_text(error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
