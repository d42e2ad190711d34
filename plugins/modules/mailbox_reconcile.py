#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: reconcile the province's mailboxes with the mail server in one batch."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailbox_reconcile
short_description: Make the mail server's accounts match the declared mailboxes, in one batch
description:
  - Reads the desired state (C(desired.json) written by C(mailbox_validate)) and the live
    Postfix + Dovecot state under O(state_dir), plans every change (create, lock, unlock,
    revoke, reinstate, move, rename, reset_password, delegate, update) and applies them
    all at once. Accounts no file declares are reported as drift and left alone.
  - Generated passwords are stored only as Argon2id hashes and written to exactly one
    place - the notice of the apply in C(outbox/<recipient>.jsonl) (mode 0600) - that
    C(mail_notify) sends; personal mailboxes' to their agency, agency and division
    mailboxes' to O(operator_mailbox), and the operator mailbox's own to the root-only
    file C(bootstrap/<address>.credentials). They never appear in the result, the plan or
    the logs.
  - Every applied change is appended to the journal C(data/journal.jsonl) (no secrets).
options:
  desired_file:
    description: 'The desired state on the mail host, JSON C({"domain": ..., "mailboxes": [...]}).'
    type: path
    required: true
  state_dir:
    description: The server state directory of docs/architecture.md.
    type: path
    required: true
  domain:
    description: The mail domain; must equal the desired file's domain.
    type: str
    required: true
  password_length:
    description: Length of generated passwords (Điều 8; at least 12).
    type: int
    default: 16
  hash_time_cost:
    description: Argon2id time cost (iterations).
    type: int
    default: 3
  hash_memory_kib:
    description: Argon2id memory cost in KiB.
    type: int
    default: 65536
  hash_parallelism:
    description: Argon2id lanes.
    type: int
    default: 1
  holds:
    description:
      - Addresses whose changes are planned but not applied in this run, on top of the
        emergency holds of C(data/holds.json) (Điều 10.1.g), which are always respected.
      - An emergency hold ends when the declared status equals the held one and
        O(change_author) or one of O(change_approvers) is in O(reviewers)
        (C(holds_cleared)); otherwise it stays and its C(why) says so (HYH011, HYH012).
        C(playbooks/emergency.yml) sets and releases holds.
    type: list
    elements: str
    default: []
  commit:
    description: The repository commit being applied, recorded in the server's history.
    type: str
  approved_by:
    description:
      - Who approved the change request, recorded in the server's history; defaults to
        O(change_approvers).
    type: str
  change_author:
    description: The merge request's author (GitLab user name), recorded in the journal.
    type: str
  change_approvers:
    description: Who approved the merge request in GitLab, recorded in the journal.
    type: list
    elements: str
    default: []
  change_merger:
    description: Who merged the merge request, recorded in the journal.
    type: str
  reviewers:
    description:
      - Sở TTTT's reviewers (owners of C(mailboxes/sotttt.yml) in the declared tree). Only
        a change authored or approved by one of them ends an emergency hold.
    type: list
    elements: str
    default: []
  snapshot_file:
    description:
      - Plan from this snapshot of the live state (written by C(mailbox_snapshot)) instead
        of the server under O(state_dir); check mode only (HYR017), and a snapshot whose
        accounts do not match its digest is refused (HYR018).
    type: path
  plan_file:
    description: Where to write the plan JSON (no secrets); a Markdown page goes next to it.
    type: path
  expected_state:
    description:
      - The C(state_digest) of a reviewed plan. When given and the live state has moved
        since, the module fails (HYR003) instead of applying a stale plan.
    type: str
  reviewed_plan:
    description:
      - The plan JSON reviewers approved (the merge request's C(build/plan.json)). The
        module re-plans and fails (HYR003) when it would apply a change that plan does
        not show, with the same before and after.
    type: path
  operator_mailbox:
    description:
      - Local part of Sở TTTT's operator mailbox. It receives the passwords of agency and
        division mailboxes; its own password goes to C(bootstrap/) on the mail host.
    type: str
    default: sotttt
  postmap:
    description: The postmap command.
    type: str
    default: postmap
  postfix_config_dir:
    description: Postfix configuration directory for postmap; default O(state_dir)/etc/postfix.
    type: path
  full_result:
    description:
      - Return every change, the drift, the plan document and its Markdown. A first apply
        of a whole province plans 100,000 changes, some 150 MB of result for Ansible to
        carry; playbooks set it false and read O(plan_file) instead.
    type: bool
    default: true
  lock_timeout:
    description:
      - Seconds to wait for another apply (or backup, restore, purge) on the same server
        to finish before refusing with HYR014. Applies never interleave; check mode takes
        no lock.
    type: float
    default: 600
notes:
  - Check mode plans and reports without writing anything on the server.
  - Diff mode returns one before/after entry per changed mailbox.
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the mail server matches the declared mailboxes
  hungyen.mail.mailbox_reconcile:
    desired_file: /var/lib/hymail/desired.json
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    commit: "{{ commit | default(omit) }}"
"""

RETURN = r"""
changes:
  description: Planned (or applied) changes, drift excluded; no secrets.
  returned: unless full_result is false
  type: list
  elements: dict
summary:
  description: Count per action code, plus held and total.
  returned: always
  type: dict
summary_text:
  description: The same counts in one Vietnamese line, each action by its glossary label.
  returned: always
  type: str
drift:
  description: Accounts on the server that no file declares (reported, untouched).
  returned: unless full_result is false
  type: list
  elements: dict
plan:
  description: The plan document (what plan_file holds); its changes include drift.
  returned: unless full_result is false
  type: dict
plan_markdown:
  description: The plan rendered for reviewers, in Vietnamese.
  returned: unless full_result is false
  type: str
holds:
  description:
    - Active emergency holds (who, when, reason, action); C(clears) marks those apply ends,
      C(why) why one the repository declares stays (HYH011, HYH012).
  returned: always
  type: list
  elements: dict
holds_cleared:
  description: Addresses whose emergency hold ends (ended, unless in check mode).
  returned: always
  type: list
  elements: str
applied:
  description:
    - Files rewritten, the new generation, notices written per recipient, and C(bootstrap),
      the paths of root-only credential files for the operator mailbox (never a password).
  returned: when changes were applied
  type: dict
recovered:
  description:
    - What an earlier, interrupted apply left and this run finished first (superseded
      generations removed, notices of its committed changes written).
  returned: when there was something to finish
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.apply.reconcile import (
    ReconcileError,
    reconcile,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import BackendError
from ansible_collections.hungyen.mail.plugins.module_utils.common.operation_messages import (
    failure_text,
)

ARGUMENT_SPEC = {
    "desired_file": {"type": "path", "required": True},
    "state_dir": {"type": "path", "required": True},
    "domain": {"type": "str", "required": True},
    "password_length": {"type": "int", "default": 16, "no_log": False},
    "hash_time_cost": {"type": "int", "default": 3},
    "hash_memory_kib": {"type": "int", "default": 65536},
    "hash_parallelism": {"type": "int", "default": 1},
    "holds": {"type": "list", "elements": "str", "default": []},
    "commit": {"type": "str"},
    "approved_by": {"type": "str"},
    "change_author": {"type": "str"},
    "change_approvers": {"type": "list", "elements": "str", "default": []},
    "change_merger": {"type": "str"},
    "reviewers": {"type": "list", "elements": "str", "default": []},
    "snapshot_file": {"type": "path"},
    "plan_file": {"type": "path"},
    "expected_state": {"type": "str"},
    "reviewed_plan": {"type": "path"},
    "operator_mailbox": {"type": "str", "default": "sotttt"},
    "postmap": {"type": "str", "default": "postmap"},
    "postfix_config_dir": {"type": "path"},
    "full_result": {"type": "bool", "default": True},
    "lock_timeout": {"type": "float", "default": 600},
}


def run(params: dict, check_mode: bool = False, diff_mode: bool = False) -> dict:
    """The whole module minus Ansible (tests and the benchmark call it in-process)."""
    defaults = {key: spec.get("default") for key, spec in ARGUMENT_SPEC.items()}
    return reconcile(defaults | params, check_mode, diff_mode)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module.params, module.check_mode, module._diff)
    except (ReconcileError, BackendError, ValueError, OSError) as error:
        module.fail_json(msg=failure_text(error))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
