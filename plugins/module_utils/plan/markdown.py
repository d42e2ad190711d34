"""Values in the Markdown that reviewers read (plan.md, the merge-request note, drift).

Every value that comes from a file or an operator (names, titles, request numbers, reasons,
addresses, who did what) is shown only as a code span: GitLab renders nothing inside one,
so ``@all`` notifies nobody, ``#1``/``!1`` link nothing, ``https://…`` is no link, ``~~x~~``
strikes nothing and ``&amp;`` stays as typed. Backslashes do not escape inside a code span,
so the fence is made longer than any run of back-ticks in the value (CommonMark 6.1).
"""

from __future__ import annotations

import re

from ..common.clock import vietnam_time

_TICKS = re.compile(r"`+")
_LINE_BREAKS = re.compile(r"[\r\n\u0085\u2028\u2029]+")


def code(value) -> str:
    """``value`` as one inline code span that nothing in it can close or leave."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    fence = "`" * (1 + max((len(run) for run in _TICKS.findall(text)), default=0))
    # A space on each side is stripped by the renderer: added when the value starts or
    # ends with a back-tick (it would join the fence), or is wrapped in spaces itself.
    wrapped_in_spaces = text[:1] == " " and text[-1:] == " " and text.strip(" ")
    if text[:1] == "`" or text[-1:] == "`" or wrapped_in_spaces:
        text = f" {text} "
    return f"{fence}{text or ' '}{fence}"


def moment(stamp) -> str:
    """An ISO timestamp as people read it, in Vietnam's time (``05:14 ngày 29/11/2026``);
    anything else, as it came from a file or an operator, as a code span."""
    shown = vietnam_time(stamp)
    return shown if shown != str(stamp) else code(stamp)


def address(local_part, domain: str) -> str:
    """A mail address as a code span (the local part may come from any file)."""
    return code(f"{local_part}@{domain}")


def codes(values, empty: str = "không có") -> str:
    """Several values, each its own code span, separated by commas."""
    return ", ".join(code(value) for value in values or ()) or empty
