#!/usr/bin/python
# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible module: may this change request go ahead (runs on the controller, reads git)."""

from __future__ import annotations

DOCUMENTATION = r"""
module: mailbox_policy
short_description: Decide whether a change to mailboxes/ may go ahead, with a reason per violation
description:
  - Reads C(mailboxes/*.yml), C(approvals/*.yml) and C(CODEOWNERS) at the O(base) and O(head)
    commits from git (the working tree is never read, nothing is executed from it) and judges
    the change with the code this module was loaded from (C(make policy) loads it from the
    base's exported tree), with the raw tree diff (C(git diff --raw)) and whether O(head)
    contains O(base).
  - Who asks and who approved come from GitLab when O(merge_request) or O(merged_commit) is
    given (author, pushers, approvals given after the latest diff version, whose head must be
    O(head)); otherwise from O(author) and O(approved_by). C(GITLAB_USER_LOGIN) is never read.
  - An agency's owners change only its file; Sở TTTT's reviewers (the owners of
    C(mailboxes/sotttt.yml) at the base) change any file; removing a person from another
    agency's file is allowed only when the same change adds that address to the author's own
    agency (Điều 6.2.b); every mailbox whose state changes cites a new request letter (Điều 6.1);
    only Sở TTTT locks and unlocks (Điều 7, 10.1); revoking, renaming or removing more than
    O(destroy_max_count) mailboxes, or more than O(destroy_max_share) of an agency, needs an
    C(approvals/<name>.yml) added in the same change (Điều 10.1).
  - "Fails with one line per violation, C(path: HPxxx message), in Vietnamese; changes
    nothing, so check mode gives the same answer."
options:
  repository: {description: Root of the git repository., type: path, required: true}
  base:
    description: Commit the change starts from (the target branch's merge base).
    type: str
    required: true
  head: {description: Commit of the change., type: str, default: HEAD}
  author:
    description:
      - GitLab user name of whoever asks for the change; a leading C(@) is ignored.
      - Required without O(merge_request) and O(merged_commit) (C(HP001) when empty).
    type: str
    default: ""
  approved_by:
    description: Who approved the head in GitLab after its last push (local runs).
    type: list
    elements: str
    default: []
  merge_request:
    description: IID of the merge request whose facts GitLab gives (merge-request pipelines).
    type: str
    default: ""
  merged_commit:
    description: A merged commit; its merge request's facts come from GitLab (the apply).
    type: str
    default: ""
  gitlab_api_url: {description: GitLab API v4 URL (C(CI_API_V4_URL))., type: str, default: ""}
  gitlab_project: {description: Project ID (C(CI_PROJECT_ID))., type: str, default: ""}
  gitlab_token:
    description: Project access token, role Reporter, scope C(read_api).
    type: str
    default: ""
  schema_dir:
    description: Directory of C(agency.schema.json) and C(approval.schema.json).
    type: path
    required: true
  destroy_max_count:
    description: Revokes, renames and removals allowed in one change without an approval.
    type: int
    default: 10
  destroy_max_share:
    description:
      - Share of one agency's live mailboxes that may be revoked, renamed or removed without
        an approval (a single mailbox never needs one).
    type: float
    default: 0.05
  check_codeowners:
    description: Also require CODEOWNERS at O(head) to be what the owners make of it.
    type: bool
    default: true
  operator:
    description:
      - The operator as the inventory names it (C(operator) in C(group_vars/all.yml)); the
        messages name it by its C(short_name). Without it they say C(đơn vị quản lý hệ thống
        thư điện tử công vụ), never a name written in the code.
    type: dict
    default: {}
author: Hưng Yên official mail pipeline (@hungyen)
"""

EXAMPLES = r"""
- name: Ensure the change follows the change-request policy
  hungyen.mail.mailbox_policy:
    repository: "{{ playbook_dir | dirname }}"
    schema_dir: "{{ playbook_dir | dirname }}/schemas"
    base: origin/main
    head: HEAD
    author: vanthu-anvien
"""

RETURN = r"""
allowed: {description: Whether the change may go ahead., type: bool, returned: always}
violations:
  description: Every reason to refuse, in a stable order.
  type: list
  elements: dict
  returned: always
  contains:
    code: {description: Stable code C(HPxxx)., type: str}
    path: {description: The file concerned., type: str}
    address: {description: The address concerned (local part) or empty., type: str}
    message:
      description: What is refused (article). Cách sửa, how to proceed.
      type: str
facts:
  description:
    - Who and what was judged, C(author), C(approvers), C(pushers), C(merger),
      C(merge_request), C(base), C(head), and C(source) (C(gitlab) or C(local)).
  type: dict
  returned: always
summary:
  description: What the change does, in one line (when refused, C(msg) lists the violations).
  type: str
  returned: success
non_data:
  description:
    - The changed paths that are not agency data, in a change by Sở TTTT's reviewers (a
      refusal, HP040, otherwise); the summary's C(Cảnh báo) lines name them too.
  type: list
  elements: str
  returned: always
counts:
  description:
    - What the change does, per kind (create, revoke, rename, move, lock, ...), plus
      C(files) and C(destructive).
  type: dict
  returned: always
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitfiles import GitError
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.gitlab_note import (
    GitLabError,
)
from ansible_collections.hungyen.mail.plugins.module_utils.change_request.policy_cli import (
    run_policy,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common.operation_messages import (
    reason,
)

ARGUMENT_SPEC = {
    "repository": {"type": "path", "required": True},
    "base": {"type": "str", "required": True},
    "head": {"type": "str", "default": "HEAD"},
    "author": {"type": "str", "default": ""},
    "approved_by": {"type": "list", "elements": "str", "default": []},
    "merge_request": {"type": "str", "default": ""},
    "merged_commit": {"type": "str", "default": ""},
    "gitlab_api_url": {"type": "str", "default": ""},
    "gitlab_project": {"type": "str", "default": ""},
    "gitlab_token": {"type": "str", "default": "", "no_log": True},
    "schema_dir": {"type": "path", "required": True},
    "destroy_max_count": {"type": "int", "default": 10},
    "destroy_max_share": {"type": "float", "default": 0.05},
    "check_codeowners": {"type": "bool", "default": True},
    "operator": {"type": "dict", "default": {}},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run_policy(module.params)
    except GitError as error:
        module.fail_json(msg=f"Không đọc được kho git: {error}. Cách sửa: kiểm tra điểm gốc "
                             "(base), điểm được xét (head) và đường dẫn tới kho.")
    except GitLabError as error:
        module.fail_json(msg=str(error))
    except OSError as error:
        module.fail_json(msg=f"Không đọc được tệp {error.filename}: {reason(error)}.")
    except ValueError as error:
        module.fail_json(msg=str(error))
    # Not Ansible's ``warnings`` (module warnings, deprecated as a result key): the paths
    # beside agency data a reviewers' change carries, already in the summary's Cảnh báo lines.
    result["non_data"] = result.pop("warnings", [])
    if not result["allowed"]:
        module.fail_json(msg=result.pop("summary"), **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
