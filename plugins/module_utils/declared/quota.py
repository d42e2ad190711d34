"""A mailbox's own size limit (``quota`` in an agency file; issue 17, part 6).

Written as a whole number and a unit, M (megabytes) or G (gigabytes): ``500M``, ``5G``,
the units the inventory's ``mailserver_quota_default`` uses. The validator checks it here
(HY053); the backend writes it as the server's own rule, and accepts nothing else.
"""

from __future__ import annotations

import re

QUOTA_RE = re.compile(r"([1-9][0-9]{0,5})([MG])\Z")
UNIT_MB = {"M": 1, "G": 1024}
# Below this a mailbox holds a few messages with attachments; above it one mailbox could
# take a disk: a value outside is a typing mistake more likely than a wish.
LEAST_MB, MOST_MB = 10, 100 * 1024
LEAST, MOST = "10M", "100G"


def megabytes(value: str) -> int | None:
    """``5G`` → 5120; None when ``value`` is not written as the rule asks."""
    match = QUOTA_RE.match(value) if isinstance(value, str) else None
    return int(match[1]) * UNIT_MB[match[2]] if match else None


def quota_problem(value: object) -> str | None:
    """Why ``value`` cannot be a mailbox's quota, in Vietnamese; None when it can."""
    if not isinstance(value, str):
        return "phải là một số kèm đơn vị, ví dụ 5G"
    size = megabytes(value)
    if size is None:
        return "phải là số nguyên kèm đơn vị M hoặc G viết hoa, không có dấu cách, ví dụ 5G, 500M"
    if size < LEAST_MB:
        return f"nhỏ hơn mức tối thiểu {LEAST}"
    if size > MOST_MB:
        return f"lớn hơn mức tối đa {MOST}"
    return None
