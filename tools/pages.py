"""The command line every page tool shares: write the page, or with ``--check`` exit 1 when
the committed page differs from what the tool would write (tools/guide.py,
tools/messages_page.py, tools/glossary_page.py)."""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parent.parent


def main(argv: list[str] | None, doc: str, page: pathlib.Path, target: str,
         render: Callable[[str], str]) -> int:
    """``render(current)`` gives the page from its current text ("" when there is none);
    ``target`` is the make target that writes it; ``doc``'s first line describes the tool."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the page differs")
    args = parser.parse_args(argv)
    current = page.read_text("utf-8") if page.exists() else ""
    wanted = render(current)
    shown = page.relative_to(ROOT)
    if args.check:
        if wanted != current:
            print(f"{shown} is stale: run make {target}", file=sys.stderr)
            return 1
        return 0
    if wanted != current:
        page.write_text(wanted, "utf-8")
        print(f"wrote {shown}")
    return 0
