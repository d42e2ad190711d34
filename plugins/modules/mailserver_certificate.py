#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: check the TLS certificate and key the inventory names on the mail host."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mailserver_certificate
short_description: Check the mail server's TLS certificate and key before the servers are touched
description:
  - Reads the certificate and the private key the inventory names on the mail host (with
    C(openssl)) and fails with a coded message (Vietnamese) when a file is missing (HYS001,
    HYS002), the certificate cannot be read (HYS003) or the key does not match it (HYS004).
  - Warns when the certificate does not carry O(hostname) (HYS005) or expires within
    O(warn_days) days (HYS006). Changes nothing.
options:
  cert: {description: The certificate chain (PEM) on the mail host., type: path, required: true}
  key: {description: The private key (PEM) on the mail host., type: path, required: true}
  hostname:
    description: The name clients connect to (mailserver_hostname).
    type: str
    required: true
  warn_days:
    description: Warn when the certificate expires within this many days.
    type: int
    default: 14
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the certificate and key are usable
  hungyen.mail.mailserver_certificate:
    cert: /etc/letsencrypt/live/mail1.hungyen.gov.vn/fullchain.pem
    key: /etc/letsencrypt/live/mail1.hungyen.gov.vn/privkey.pem
    hostname: mail1.hungyen.gov.vn
"""

RETURN = r"""
names:
  description: The DNS names the certificate carries.
  type: list
  elements: str
  returned: success
not_after:
  description: When the certificate expires (ISO 8601, UTC).
  type: str
  returned: success
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.common import clock
from ansible_collections.hungyen.mail.plugins.module_utils.server import certificate

ARGUMENT_SPEC = {
    "cert": {"type": "path", "required": True},
    "key": {"type": "path", "required": True},
    "hostname": {"type": "str", "required": True},
    "warn_days": {"type": "int", "default": certificate.WARN_DAYS},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params

    def run(argv: list[str]) -> tuple[int, str, str]:
        return module.run_command(argv)

    facts = certificate.read(params["cert"], params["key"], run, os.path.isfile)
    verdict = certificate.assess(facts, params["cert"], params["key"], params["hostname"],
                                 clock.now(), params["warn_days"])
    if verdict.errors:
        module.fail_json(msg=" ".join(verdict.errors))
    for warning in verdict.warnings:
        module.warn(warning)
    module.exit_json(changed=False, names=list(facts.names),
                     not_after=facts.not_after.isoformat() if facts.not_after else "")


if __name__ == "__main__":
    main()
