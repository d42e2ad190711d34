"""The benchmark's own mail server: playbooks/mailserver.yml on a private state dir and ports.

It never touches a developer's ``.state/``: the state dir is a new directory under /tmp
and the ports are free ones picked at start. ``reset`` brings the server back to the
state mailserver.yml left (no account); ``stop`` stops it and removes the directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

# Left alone by reset: the servers' own configuration, programs, sockets, logs and queue.
SERVER_DIRS = frozenset({"etc", "bin", "run", "log", "spool"})


def free_ports(count: int) -> list[int]:
    """``count`` TCP ports nothing listens on at the moment, on loopback."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class BenchServer:
    """A Postfix + Dovecot of its own; ``extra_vars`` point a playbook at it."""

    def __init__(self, work_dir: str) -> None:
        self.state_dir = tempfile.mkdtemp(prefix="hymail-bench-", dir="/tmp")
        os.chmod(self.state_dir, 0o755)  # the vmail user walks into mail/ below it
        smtp, imap = free_ports(2)
        self.extra_vars = {"state_dir": self.state_dir, "smtp_port": smtp, "imap_port": imap}
        self.pristine = os.path.join(work_dir, "pristine-data")
        self.pristine_entries: set[str] = set()

    def snapshot(self) -> None:
        """Remember the state mailserver.yml left, to come back to it."""
        shutil.rmtree(self.pristine, ignore_errors=True)
        subprocess.run(["cp", "-a", os.path.join(self.state_dir, "data"), self.pristine],
                       check=True)
        self.pristine_entries = set(os.listdir(self.state_dir))

    def reset(self) -> None:
        """No account, no notice, no mail: data/ as set up, everything else emptied."""
        self._drain()
        for entry in os.scandir(self.state_dir):
            if entry.name in SERVER_DIRS:
                continue
            if entry.name == "data":
                shutil.rmtree(entry.path)
                subprocess.run(["cp", "-a", self.pristine, entry.path], check=True)
            elif entry.name not in self.pristine_entries or not entry.is_dir():
                _remove(entry.path)
            else:
                for child in os.scandir(entry.path):
                    _remove(child.path)

    def _drain(self, timeout: float = 120) -> None:
        """Wait until Postfix has delivered what the notices sent (delivery is asynchronous)."""
        config = os.path.join(self.state_dir, "etc", "postfix")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            queue = subprocess.run(["postqueue", "-c", config, "-p"], capture_output=True,
                                   text=True, check=False)
            if "is empty" in queue.stdout or queue.returncode != 0:
                return
            time.sleep(0.5)

    def stop(self, keep: bool = False) -> None:
        ctl = os.path.join(self.state_dir, "bin", "mailserverctl")
        if os.path.exists(ctl):
            subprocess.run([ctl, "stop"], capture_output=True, timeout=180, check=False)
        if not keep:
            shutil.rmtree(self.state_dir, ignore_errors=True)


def _remove(path: str, attempts: int = 20) -> None:
    """Remove a file or a tree; a tree is retried while a late delivery still writes in it."""
    if not os.path.isdir(path) or os.path.islink(path):
        os.unlink(path)
        return
    for attempt in range(attempts):
        try:
            shutil.rmtree(path)
            return
        except OSError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
