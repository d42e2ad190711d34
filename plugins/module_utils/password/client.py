"""The web application's side of the password helper (helper.py): one request, one answer.

Standard library only; raises nothing for a refused change (the answer says why) and
answers 503 (HYM024) when the helper cannot be reached, times out or answers nonsense.
"""

from __future__ import annotations

import json
import socket

from .messages import render

# A change may wait for the apply lock (20 s) and hash twice: the client waits longer.
TIMEOUT = 45.0
MAX_ANSWER = 65536


def request_change(socket_path: str, address: str, current: str, new: str, client: str = "",
                   timeout: float = TIMEOUT) -> dict:
    """Ask the helper at ``socket_path`` to change the password of ``address``;
    ``{"status", "code", "message", "problems"}``."""
    request = {"op": "change", "address": address, "current": current, "new": new,
               "client": client}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(socket_path)
            connection.sendall(json.dumps(request, ensure_ascii=False).encode() + b"\n")
            with connection.makefile("rb") as stream:
                line = stream.readline(MAX_ANSWER)
        answer = json.loads(line)
    except (OSError, ValueError):
        return unavailable()
    if not (isinstance(answer, dict) and isinstance(answer.get("status"), int)
            and isinstance(answer.get("code"), str)):
        return unavailable()
    answer.setdefault("message", "")
    answer.setdefault("problems", [])
    return answer


def unavailable() -> dict:
    return {"status": 503, "code": "HYM024", "message": render("HYM024"), "problems": []}
