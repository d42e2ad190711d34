"""Judging a change request: the policy, its messages, git and GitLab."""
