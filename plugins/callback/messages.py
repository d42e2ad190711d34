# Copyright: Hưng Yên official mail team
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ansible stdout callback: the project's Vietnamese messages, each once, and nothing else."""

from __future__ import annotations

DOCUMENTATION = r"""
name: messages
type: stdout
short_description: Print the project's Vietnamese messages once, without Ansible's framing
description:
  - "The stdout callback of C(make validate), C(make policy) and C(make plan) (the Makefile
    sets C(ANSIBLE_STDOUT_CALLBACK=hungyen.mail.messages) for those targets only): clerks and
    reviewers read what the modules say in Vietnamese, with no C(PLAY), C(TASK) or C(RECAP)
    lines and no C([ERROR]: Task failed: Module failed:) line repeating a failure."
  - A successful C(debug) task prints its message; a module of this collection prints its
    C(msg). A failed task prints its C(summary) when it has one (the validation's block of one
    line per problem), else its C(msg), once; a failure ignored by the play prints nothing.
  - "With C(-v): the English original of a YAML syntax error (C(parser_messages),
    C(originals) or C(original) of the result) and the name of each task that failed. With
    C(-vvv): the exception too."
author: Hưng Yên official mail team (@hungyen)
"""

from ansible.plugins.callback import CallbackBase  # noqa: E402 (after DOCUMENTATION)

# The tasks whose message is the text people read.
DEBUG_ACTIONS = frozenset({"debug", "ansible.builtin.debug", "ansible.legacy.debug"})
COLLECTION = "hungyen.mail."
# Keys of a failed result that carry the English original of a YAML error (shown with -v;
# mailbox_validate returns ``parser_messages`` only under -v).
ORIGINAL_KEYS = ("parser_messages", "originals", "original")


def message_lines(value) -> list:
    """What a message is, as lines: a text split on its line breaks, a list item by item."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [line for item in value for line in message_lines(item)]
    text = str(value)
    return text.splitlines() if text else []


def failure_lines(result: dict) -> list:
    """A failed result as people read it: its summary block when it has one, else its msg."""
    summary = message_lines(result.get("summary"))
    return summary or message_lines(result.get("msg")) or ["Thất bại (không có thông điệp)."]


def original_lines(result: dict) -> list:
    """The English originals a result carries, under one heading (shown with -v)."""
    found = []
    for key in ORIGINAL_KEYS:
        found += message_lines(result.get(key))
    if not found:
        return []
    return ["Nguyên văn tiếng Anh của trình đọc YAML:"] + [f"    {line}" for line in found]


class CallbackModule(CallbackBase):
    """Only the messages: no play, task or recap framing, each failure once."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "hungyen.mail.messages"

    def _print(self, lines: list, stderr: bool = False) -> None:
        for line in lines:
            self._display.display(line, stderr=stderr)

    @staticmethod
    def _result(result) -> dict:
        data = getattr(result, "result", None)
        return data if isinstance(data, dict) else getattr(result, "_result", {})

    def _verbose(self, level: int = 1) -> bool:
        return self._display.verbosity >= level

    def _said(self, result) -> list:
        """What a successful task says: a debug message, or a collection module's msg."""
        data, action = self._result(result), str(result.task.action)
        if action in DEBUG_ACTIONS:
            if "msg" in data:
                return message_lines(data["msg"])
            return [f"{key}: {value}" for key, value in data.items()
                    if not key.startswith("_") and key not in ("changed", "failed")]
        if action.startswith(COLLECTION):
            return message_lines(data.get("msg"))
        return []

    def _warnings(self, result) -> None:
        handle = getattr(self, "_handle_warnings", None)  # ansible-core 2.19 and later
        if handle is not None:
            handle(self._result(result))

    def _failed(self, result, ignore_errors: bool) -> None:
        data = self._result(result)
        self._warnings(result)
        if ignore_errors and not self._verbose():
            return
        lines = failure_lines(data)
        if self._verbose():
            lines = [f"Bước không thành công: {result.task.get_name()}"] + lines
            lines += original_lines(data)
        if self._verbose(3):
            lines += message_lines(data.get("exception"))
        self._print(lines)

    def v2_runner_on_ok(self, result) -> None:
        self._warnings(result)
        self._print(self._said(result))

    def v2_runner_item_on_ok(self, result) -> None:
        self._warnings(result)
        self._print(self._said(result))

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        self._failed(result, ignore_errors)

    def v2_runner_item_on_failed(self, result) -> None:
        self._failed(result, False)

    def v2_runner_on_unreachable(self, result) -> None:
        message = self._result(result).get("msg", "")
        self._print([f"Không kết nối được tới máy {result.host.get_name()}: {message}"],
                    stderr=True)

    def v2_runner_on_skipped(self, result) -> None:
        pass

    def v2_runner_item_on_skipped(self, result) -> None:
        pass

    def v2_playbook_on_play_start(self, play) -> None:
        pass

    def v2_playbook_on_task_start(self, task, is_conditional) -> None:
        pass

    def v2_playbook_on_stats(self, stats) -> None:
        pass
