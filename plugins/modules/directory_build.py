#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: build the province's published directory (danh bạ) as a static site."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: directory_build
short_description: Build the published e-mail directory (danh bạ thư điện tử công vụ)
description:
  - Reads the desired state written by C(mailbox_validate) and writes a static site to
    O(output_dir) (Điều 10.1.đ, 11.3) - C(index.html), the province page with a search
    that ignores diacritics and a filter by agency; C(coquan/<agency>.html), one page per
    agency; and the exports C(danhba.csv) (UTF-8 with BOM), C(danhba.vcf) (vCard 4.0) and
    C(danhba.json), also per agency under C(coquan/).
  - Lists active agency and division mailboxes, and people only when active and marked
    C(publish). Locked and revoked mailboxes are never listed.
  - Idempotent - only files whose content changed are rewritten, each atomically; pages
    and exports of agencies no longer listed are removed. In check mode nothing is written
    and the result says what would change.
options:
  desired_file:
    description: 'The desired-state JSON C({"domain": ..., "mailboxes": [...]}).'
    type: path
    required: true
  output_dir:
    description: Where the site is written (created when missing).
    type: path
    required: true
  templates_dir:
    description: The Jinja2 templates of the site (C(playbooks/templates/directory)).
    type: path
    required: true
  operator:
    description:
      - The inventory's C(operator) (mailbox, name, short_name, technical_unit); the pages
        name it as who keeps the directory. Without it, the regulation's generic name.
    type: dict
  regulation:
    description:
      - The inventory's C(regulation) (title, decision_number, date, issuer); the pages cite
        it. Without it, the regulation's generic title.
    type: dict
author: Hưng Yên official mail pipeline (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the published directory is up to date
  hungyen.mail.directory_build:
    desired_file: "{{ repository_root }}/build/desired.json"
    output_dir: "{{ repository_root }}/build/directory"
    templates_dir: "{{ playbook_dir }}/templates/directory"
    operator: "{{ operator }}"
    regulation: "{{ regulation }}"
"""

RETURN = r"""
files:
  description: Every file of the site, relative to O(output_dir).
  type: list
  elements: str
  returned: always
changed_files:
  description: Files written (or, in check mode, that would be written).
  type: list
  elements: str
  returned: always
removed_files:
  description: Files of agencies no longer listed, removed (or that would be).
  type: list
  elements: str
  returned: always
agencies: {description: Number of agencies listed., type: int, returned: always}
listings:
  description: Number of mailboxes listed (agency, division and people).
  type: int
  returned: always
index: {description: Path of the province page., type: str, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.publish.directory import (
    Publisher,
    build_directory,
    read_desired,
    render_site,
    sync_files,
)
from jinja2 import TemplateError  # ansible-core's own dependency

ARGUMENT_SPEC = {
    "desired_file": {"type": "path", "required": True},
    "output_dir": {"type": "path", "required": True},
    "templates_dir": {"type": "path", "required": True},
    "operator": {"type": "dict"},
    "regulation": {"type": "dict"},
}


def build(params: dict, check_mode: bool) -> dict:
    """Read the desired state, render the site and write what changed."""
    with open(params["desired_file"], encoding="utf-8") as handle:
        domain, mailboxes = read_desired(handle.read())
    directory = build_directory(mailboxes, domain)
    publisher = Publisher.from_vars(params.get("operator"), params.get("regulation"))
    result = sync_files(params["output_dir"],
                        render_site(directory, params["templates_dir"], publisher), check_mode)
    return dict(result, agencies=len(directory.agencies), listings=len(directory.listings),
                index=f"{params['output_dir']}/index.html")


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = build(module.params, module.check_mode)
    except TemplateError as error:  # names the template (and line)
        module.fail_json(msg=f"Lỗi mẫu trang trong {module.params['templates_dir']} "
                             f"(chi tiết cho người phát triển: {error})")
    except OSError as error:
        hint = (" Hãy chạy mailbox_validate với desired_file trước."
                if error.filename == module.params["desired_file"] else "")
        module.fail_json(msg=f"Không đọc hoặc ghi được tệp {error.filename} (lỗi hệ thống số "
                             f"{error.errno}).{hint}")
    except (ValueError, KeyError):
        module.fail_json(msg=f"Tệp trạng thái khai báo {module.params['desired_file']} "
                             "(desired_file) không đúng dạng. Hãy tạo lại bằng make validate.")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
