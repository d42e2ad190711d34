"""The one shape of every coded message: stable code → what is wrong, its basis, the fix.

A message is ``CODE <what is wrong> (<article>). Cách sửa: <how to fix>``; a rule no article
governs (the file's form, approvals, operations) has an empty basis and no parentheses. Each
stage keeps its codes in a catalog (a ``CATALOG`` dict in a ``messages.py`` or
``*_messages.py`` module) and renders them here; a code never changes meaning, so it can be
searched in the README and tested (tests/unit/test_messages.py).
"""

from __future__ import annotations

# code: (what is wrong, the article in the full form people read or "", how to fix it)
Catalog = dict[str, tuple[str, str, str]]


def render(code: str, catalog: Catalog, limit: int | None = None, /, **fields: object) -> str:
    """The one-line message for ``code`` of ``catalog``, its ``{fields}`` filled in.

    Text fields are shown on one line, without invisible characters, and cut to ``limit``
    characters when a limit is given. An empty basis (no article governs the rule) leaves
    the parentheses out.
    """
    what, basis, fix = catalog[code]
    fields.setdefault("detail", "")
    fields = {key: shown(value, limit) if isinstance(value, str) else value
              for key, value in fields.items()}
    cited = f" ({basis})" if basis else ""
    return f"{code} {_fill(what, fields)}{cited}. Cách sửa: {_fill(fix, fields)}."


def shown(text: str, limit: int | None = 60) -> str:
    """``text`` as a message quotes it: at most ``limit`` characters, every character
    that is not printable (line breaks, controls, zero-width) written as \\uXXXX."""
    cut = text if limit is None else text[:limit]
    if not cut.isprintable():
        cut = "".join(c if c.isprintable() or c == "\u00a0" else f"\\u{ord(c):04x}"
                      for c in cut)
    return cut + ("…" if limit is not None and len(text) > limit else "")


def _fill(template: str, fields: dict) -> str:
    try:
        return template.format(**fields)
    except KeyError as missing:  # a caller bug must not hide the problem being reported
        return f"{template} [{missing}]"
