#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: the mail records of the domain, from the DKIM public key on the mail host."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: dns_zone
short_description: Render the domain's mail records (MX, SPF, DKIM, DMARC, SRV) as zone file text
description:
  - Reads the DKIM public key O(state_dir)/dkim/O(selector).pub on the mail host and returns
    the records the province's DNS administrators publish for O(domain), as a zone file
    fragment (RFC 1035 master-file syntax) - MX, the host's address, SPF, the DKIM key split
    into strings of at most 255 characters, DMARC, RFC 6186 SRV records and the
    autoconfig/autodiscover names.
  - Fails with a coded message (Vietnamese) when the key is missing (HYS007) or is not a PEM
    public key (HYS008). Changes nothing; the playbook writes the text on the controller.
options:
  state_dir:
    description: The mail server's state directory on the mail host.
    type: path
    required: true
  selector:
    description: The DKIM selector (mailserver_dkim_selector).
    type: str
    default: mail
  domain:
    description: The mail domain (mail_domain).
    type: str
    required: true
  mail_host:
    description: The host name of the mail server (MX and SRV target).
    type: str
    required: true
  host_address:
    description: The mail host's address (listen_address); an A or AAAA record when it is one.
    type: str
    default: ""
  dmarc_report_to:
    description: Where DMARC aggregate reports go (rua).
    type: str
    required: true
  dmarc_policy:
    description: The DMARC policy; start at none (docs/dns.md).
    type: str
    choices: [none, quarantine, reject]
    default: none
  spf_all:
    description: What SPF says of other senders.
    type: str
    choices: ["-all", "~all"]
    default: "-all"
  spf_extra:
    description: More SPF mechanisms before the last one, e.g. ip4:203.0.113.7 for a relay host.
    type: list
    elements: str
    default: []
  relayhost:
    description: The relay host outbound mail leaves through (mailserver_relayhost).
    type: str
    default: ""
  submission_port:
    description: Submission with STARTTLS; 0 when off.
    type: int
    default: 587
  submissions_port:
    description: Submission with implicit TLS; 0 when off.
    type: int
    default: 465
  imaps_port:
    description: IMAP with implicit TLS; 0 when off.
    type: int
    default: 993
  imap_port:
    description: IMAP with STARTTLS; 0 when off.
    type: int
    default: 143
  ttl:
    description: The records' time to live in seconds.
    type: int
    default: 3600
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the mail records are rendered
  hungyen.mail.dns_zone:
    state_dir: /var/lib/hymail
    domain: hungyen.gov.vn
    mail_host: mail1.hungyen.gov.vn
    host_address: 203.0.113.25
    dmarc_report_to: sotttt@hungyen.gov.vn
  register: dns_zone
"""

RETURN = r"""
zone:
  description: The zone file fragment, header comment included.
  type: str
  returned: success
dkim_record:
  description: The DKIM TXT record's owner and value (unsplit).
  type: dict
  returned: success
key_file:
  description: The public key file read on the mail host.
  type: str
  returned: always
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.dns import zone
from ansible_collections.hungyen.mail.plugins.module_utils.server.messages import render

ARGUMENT_SPEC = {
    "state_dir": {"type": "path", "required": True},
    "selector": {"type": "str", "default": "mail"},
    "domain": {"type": "str", "required": True},
    "mail_host": {"type": "str", "required": True},
    "host_address": {"type": "str", "default": ""},
    "dmarc_report_to": {"type": "str", "required": True},
    "dmarc_policy": {"type": "str", "choices": list(zone.DMARC_POLICIES), "default": "none"},
    "spf_all": {"type": "str", "choices": list(zone.SPF_ALL), "default": "-all"},
    "spf_extra": {"type": "list", "elements": "str", "default": []},
    "relayhost": {"type": "str", "default": ""},
    "submission_port": {"type": "int", "default": 587},
    "submissions_port": {"type": "int", "default": 465},
    "imaps_port": {"type": "int", "default": 993},
    "imap_port": {"type": "int", "default": 143},
    "ttl": {"type": "int", "default": 3600},
}
PASSED_AS_IS = ("domain", "mail_host", "host_address", "dmarc_report_to", "dmarc_policy",
                "spf_all", "relayhost", "submission_port", "submissions_port", "imaps_port",
                "imap_port", "ttl")


def read_key(module: AnsibleModule, path: str, selector: str) -> str:
    """The key's base64 body; fails with HYS007 (no file) or HYS008 (not a public key)."""
    if not os.path.isfile(path):
        module.fail_json(msg=render("HYS007", path=path, selector=selector), key_file=path)
    with open(path, encoding="ascii", errors="replace") as handle:
        key = zone.public_key_base64(handle.read())
    if key is None:
        module.fail_json(msg=render("HYS008", path=path), key_file=path)
    return key


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    params = module.params
    path = os.path.join(params["state_dir"], "dkim", f"{params['selector']}.pub")
    key = read_key(module, path, params["selector"])
    values = zone.ZoneValues(dkim_selector=params["selector"], dkim_key=key,
                             spf_extra=tuple(params["spf_extra"]),
                             **{name: params[name] for name in PASSED_AS_IS})
    try:
        text = zone.render(values)
    except ValueError as error:
        module.fail_json(msg=str(error), key_file=path)
    owner = f"{params['selector']}._domainkey.{params['domain'].rstrip('.')}"
    module.exit_json(changed=False, zone=text, key_file=path,
                     dkim_record={"name": owner, "value": zone.dkim_value(key)})


if __name__ == "__main__":
    main()
