# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lookup: one SHA-256 of the files under some directories of the controller."""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: tree_digest
short_description: One SHA-256 of every file under some directories of the controller
description:
  - Returns one SHA-256 (64 hex digits) of every regular file under the directories given,
    each file's path and bytes in a fixed order; compiled Python (C(__pycache__), C(.pyc))
    is left out. A role uses it for the digest of its own sources (with the variables it
    reads) that M(hungyen.mail.managed_files) records and M(hungyen.mail.managed_files_info)
    compares.
  - Runs on the controller and reads the files as they are there.
options:
  _terms:
    description: The directories, on the controller.
    type: list
    elements: path
    required: true
author: Hưng Yên mail team (@hungyen)
"""

EXAMPLES = r"""
- name: Show the digest of the role's sources
  ansible.builtin.debug:
    msg: "{{ lookup('hungyen.mail.tree_digest', role_path, role_path ~ '/../../plugins') }}"
"""

RETURN = r"""
_raw:
  description: One digest, 64 hex digits.
  type: list
  elements: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible_collections.hungyen.mail.plugins.module_utils.backends.digests import tree_digest


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        try:
            return [tree_digest([str(term) for term in terms])]
        except OSError as error:
            raise AnsibleLookupError(f"tree_digest: {error}") from error
