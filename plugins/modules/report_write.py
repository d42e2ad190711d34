#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: write the periodic report as Markdown, CSV and HTML (on the controller)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: report_write
short_description: Write the periodic report (figures of mailbox_report) as files
description:
  - Writes to O(output_dir) - C(tinh.md) (the province's report), C(index.html) (the same
    with a chart of mailboxes per district, inline SVG, no external assets),
    C(coquan.csv) (one row per agency), C(hopthu.csv) (one row per mailbox),
    C(thaydoi.csv) (the changes of the period), and per agency C(coquan/<id>.md) and
    C(coquan/<id>.csv). CSV files are UTF-8 with a BOM, for Excel.
  - Only files whose content changed are rewritten. Check mode writes nothing.
options:
  report:
    description: The C(report) returned by C(mailbox_report).
    type: dict
    required: true
  output_dir:
    description: Where the files go (created when missing).
    type: path
    required: true
  operator:
    description:
      - The inventory's C(operator) (mailbox, name, short_name, technical_unit); the report
        names its C(name) as who made it. Without it, the regulation's generic name.
    type: dict
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the report files are written
  hungyen.mail.report_write:
    report: "{{ report_figures.report }}"
    output_dir: "{{ repository_root }}/build/report"
    operator: "{{ operator }}"
"""

RETURN = r"""
markdown: {description: The province's report in Markdown., type: str, returned: always}
files: {description: Every file of the report., type: list, elements: str, returned: always}
changed_files: {description: Files written (or that would be)., type: list, elements: str,
                returned: always}
index: {description: Path of the HTML page., type: str, returned: always}
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.publish import messages
from ansible_collections.hungyen.mail.plugins.module_utils.publish.directory import sync_files
from ansible_collections.hungyen.mail.plugins.module_utils.publish.report_render import (
    markdown,
    render_report,
)

ARGUMENT_SPEC = {
    "report": {"type": "dict", "required": True},
    "output_dir": {"type": "path", "required": True},
    "operator": {"type": "dict"},
}


def run(params: dict, check_mode: bool = False) -> dict:
    files = render_report(params["report"], params.get("operator"))
    result = sync_files(params["output_dir"], files, check_mode)
    return dict(result, markdown=markdown(params["report"], None, params.get("operator")),
                index=f"{params['output_dir']}/index.html")


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module.params, module.check_mode)
    except OSError as error:
        module.fail_json(msg=f"Không ghi được tệp {error.filename} (lỗi hệ thống số "
                             f"{error.errno})")
    except (KeyError, TypeError, ValueError) as error:
        what = (f"thiếu mục '{error.args[0]}'" if isinstance(error, KeyError) and error.args
                else "có mục sai kiểu giá trị")
        module.fail_json(msg=messages.render("HYP003", error=what))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
