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

# Left alone by reset: the servers' own configuration, programs, keys, sockets, logs and queue.
SERVER_DIRS = frozenset({"etc", "bin", "lib", "tls", "dkim", "run", "log", "spool", "web",
                         "webmail", "metrics"})
# The listeners besides SMTP and IMAP, moved to free ports too (two benchmarks, or a
# benchmark beside a developer's server, never clash): the role's variables.
OTHER_PORTS = ("mailserver_submission_port", "mailserver_submissions_port",
               "mailserver_imaps_port", "mailserver_web_port",
               "mailserver_metrics_port_dovecot", "mailserver_metrics_port_postfix",
               "mailserver_metrics_port_node")


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
        smtp, imap, *others = free_ports(2 + len(OTHER_PORTS))
        self.extra_vars = {"state_dir": self.state_dir, "smtp_port": smtp, "imap_port": imap,
                           **{name: port for name, port in zip(OTHER_PORTS, others, strict=True)}}
        self.pristine = os.path.join(work_dir, "pristine-state")

    def snapshot(self) -> None:
        """Remember the state mailserver.yml left (all but SERVER_DIRS), to come back to it."""
        shutil.rmtree(self.pristine, ignore_errors=True)
        os.makedirs(self.pristine)
        for entry in os.scandir(self.state_dir):
            if entry.name not in SERVER_DIRS:
                subprocess.run(["cp", "-a", entry.path, self.pristine], check=True)

    def reset(self) -> None:
        """No account, no notice, no mail: every entry but SERVER_DIRS as mailserver.yml left
        it (data/, the operator's bootstrap, usage/ and quota/ with their folders)."""
        self._drain()
        for entry in os.scandir(self.state_dir):
            if entry.name not in SERVER_DIRS:
                _remove(entry.path)
        for entry in os.scandir(self.pristine):
            subprocess.run(["cp", "-a", entry.path, self.state_dir], check=True)

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
        """Stop the servers and remove the state directory; ``keep``: leave both running and
        say where (``<state_dir>/bin/mailserverctl stop`` and removing it is then yours)."""
        ctl = os.path.join(self.state_dir, "bin", "mailserverctl")
        if keep:
            print(f"kept: the mail server runs in {self.state_dir} (stop it with {ctl} stop, "
                  "then remove the directory: it holds password hashes)", flush=True)
            return
        if os.path.exists(ctl):
            subprocess.run([ctl, "stop"], capture_output=True, timeout=180, check=False)
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
