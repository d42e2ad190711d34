#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: write the project's own figures as a Prometheus textfile."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: metrics_write
short_description: Write the project's own figures as a Prometheus textfile for node exporter
description:
  - Writes C(O(state_dir)/metrics/hymail.prom) (0644, replaced atomically), which node
    exporter's textfile collector serves - pending notices and the oldest one's time, the
    verified backups and the newest one's time, the mailboxes by status and the locked ones,
    the server certificate's expiry, and what the last apply and drift check recorded.
  - O(event) records what a playbook alone knows in C(O(state_dir)/metrics/events.json)
    (an apply's end, duration and changes; a drift check's count), kept for later writes.
    O(event=apply_start) only records the time (no figure shows it); the textfile is
    written at the apply's end.
  - Only counts and times are written - no address, name or secret.
options:
  state_dir:
    description: The server state directory.
    type: path
    required: true
  domain:
    description: The mail domain (to read the mailboxes' status).
    type: str
    required: true
  event:
    description: What just ended, recorded before the file is written; none for a refresh.
    type: str
    choices: [apply_start, apply, drift, backup]
  started:
    description:
      - When the event started (Unix time), for the apply's duration.
      - Without it, the moment an O(event=apply_start) recorded.
    type: float
  changes:
    description: Changes the apply made.
    type: int
  count:
    description: Drift items the drift check found.
    type: int
  backup_dir:
    description: Where backups are kept; default C(<state_dir>/backups).
    type: path
  ssl_cert:
    description: The server certificate whose expiry is exported; none to export none.
    type: path
  postfix_config_dir:
    description: Postfix's configuration directory (the backend's setting).
    type: path
attributes:
  check_mode:
    support: none
    description: The file is written in check mode too (it only reports).
  diff_mode:
    support: none
    description: No diff.
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the metrics textfile records this apply
  hungyen.mail.metrics_write:
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    event: apply
    started: 1796371200
    changes: 3
"""

RETURN = r"""
path: {description: The textfile written., type: str, returned: always}
samples:
  description: Each figure written, as name, labels and value.
  type: list
  elements: list
  returned: always
"""


from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.backends.base import BackendError
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common import clock
from ansible_collections.hungyen.mail.plugins.module_utils.common.operation_messages import (
    failure_text,
)
from ansible_collections.hungyen.mail.plugins.module_utils.metrics import textfile

ARGUMENT_SPEC = {
    "state_dir": {"type": "path", "required": True},
    "domain": {"type": "str", "required": True},
    "event": {"type": "str", "choices": list(textfile.EVENT_KINDS)},
    "started": {"type": "float"},
    "changes": {"type": "int"},
    "count": {"type": "int"},
    "backup_dir": {"type": "path"},
    "ssl_cert": {"type": "path"},
    "postfix_config_dir": {"type": "path"},
}


def run(params: dict, now: float | None = None) -> dict:
    """The whole module minus Ansible (tests call it in-process)."""
    now = clock.now().timestamp() if now is None else now
    fields = {"at": now}
    if params.get("event") == "apply":
        started = params.get("started") or textfile.read_events(
            params["state_dir"]).get("apply_start", {}).get("at")
        fields |= {"duration": max(0.0, now - started) if started else None,
                   "changes": params.get("changes") or 0}
    elif params.get("event") == "drift":
        fields["count"] = params.get("count") or 0
    if params.get("event") == "apply_start":  # no figure: the apply's end writes them
        return textfile.record_only(params["state_dir"], "apply_start", fields)
    statuses = None
    try:
        backend = backend_from_settings(params["state_dir"], params["domain"],
                                        postfix_config_dir=params.get("postfix_config_dir"))
        statuses = [account.status for account in backend.read_state().values()]
    except (BackendError, OSError, ValueError):
        statuses = None  # no server yet: the figures it would give are left out
    return textfile.write(params["state_dir"], now, params.get("event"), fields,
                          params.get("backup_dir"), params.get("ssl_cert"), statuses)


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=False)
    try:
        result = run(module.params)
    except (ValueError, OSError) as error:
        module.fail_json(msg=failure_text(error))
    module.exit_json(changed=True, **result)


if __name__ == "__main__":
    main()
