#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: validate the declared mailboxes of the province (runs on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: mailbox_validate
short_description: Validate every agency file under mailboxes/ against the schema and Điều 5
description:
  - Reads C(<mailboxes_dir>/*.yml), checks each file (YAML safety, JSON Schema) and the whole
    province (one namespace for every address, collisions, delegates, request letters).
  - "Fails listing every problem once, in C(summary), one line each, as
    C(path:line: CODE message) in Vietnamese; C(msg) is one line saying so."
  - When valid and O(desired_file) is given, writes the desired state for the reconcile there,
    also in check mode, as it is an output and not a change.
options:
  mailboxes_dir:
    description: Directory of agency files.
    type: path
    required: true
  schema_file:
    description: The agency JSON Schema.
    type: path
    required: true
  label:
    description: Prefix of the paths in messages (default the directory as given).
    type: str
  domain:
    description: Mail domain written into the desired state.
    type: str
    default: hungyen.gov.vn
  desired_file:
    description: Where to write the desired-state JSON when valid.
    type: path
author: Hưng Yên official mail pipeline (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the declared mailboxes are valid
  hungyen.mail.mailbox_validate:
    mailboxes_dir: "{{ playbook_dir }}/../mailboxes"
    schema_file: "{{ playbook_dir }}/../schemas/agency.schema.json"
    desired_file: "{{ playbook_dir }}/../build/desired.json"
"""

RETURN = r"""
problems:
  description: "Every problem as C(path:line: CODE message)."
  type: list
  elements: str
  returned: always
summary:
  description: "The count of problems and files, then every problem on its own line; or the
    count of agencies and mailboxes when valid."
  type: str
  returned: always
agencies: {description: Number of agency files read., type: int, returned: always}
parser_messages:
  description: "The YAML parser's own (English) message behind each syntax error, as
    C(path:line: message): for developers, only with -v; clerks read the Vietnamese problem."
  type: list
  elements: str
  returned: when run with -v
mailboxes: {description: Number of declared mailboxes., type: int, returned: always}
"""

import errno

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
    run_validation,
)

ARGUMENT_SPEC = {
    "mailboxes_dir": {"type": "path", "required": True},
    "schema_file": {"type": "path", "required": True},
    "label": {"type": "str"},
    "domain": {"type": "str", "default": "hungyen.gov.vn"},
    "desired_file": {"type": "path"},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run_validation(module.params)
    except OSError as error:
        module.fail_json(msg=f"Không đọc được {error.filename}: {unreadable(error)}.")
    if getattr(module, "_verbosity", 0) < 1 or not result.get("parser_messages"):
        result.pop("parser_messages", None)
    if result["problems"]:
        module.fail_json(**failure(result))
    module.exit_json(changed=False, **result)


def unreadable(error: OSError) -> str:
    """Why a path could not be read, in Vietnamese (the system's reason is English)."""
    return {errno.ENOENT: "không có tệp hoặc thư mục này",
            errno.EACCES: "không có quyền đọc",
            errno.EPERM: "không có quyền đọc",
            errno.ENOTDIR: "một phần của đường dẫn không phải thư mục",
            errno.EISDIR: "là thư mục, không phải tệp"}.get(
                error.errno, f"lỗi hệ thống số {error.errno}")


def failure(result: dict) -> dict:
    """The failed result: Ansible prints ``msg`` twice (the error, then the result), so the
    problems are not in it but once, in ``summary``, a block of one line each."""
    count = result["summary"].split("\n", 1)[0].rstrip(":")
    msg = f"{count}, liệt kê trong summary bên dưới: sửa từng dòng rồi kiểm tra lại."
    failed = {"msg": msg, "summary": result["summary"], "agencies": result["agencies"]}
    if result.get("parser_messages"):
        failed["parser_messages"] = result["parser_messages"]
    return failed


if __name__ == "__main__":
    main()
