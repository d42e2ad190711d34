"""Filters that put the plan's figures in Vietnamese words for the terminal (make plan)."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.hungyen.mail.plugins.module_utils.plan.render import summary_text


def plan_summary(summary):
    """A plan's ``summary`` (counts per action) | plan_summary → one Vietnamese line."""
    if not isinstance(summary, dict):
        raise AnsibleFilterError(f"plan_summary: expected the plan's counts, got "
                                 f"{type(summary).__name__}")
    return summary_text(summary)


class FilterModule:
    """The plan's words."""

    def filters(self):
        return {"plan_summary": plan_summary}
