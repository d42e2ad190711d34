"""Ending the open sessions of the logins an apply takes rights from (issue 13, item 6).

A lock, a revoke or a new password refuses the next login, but a session opened before
keeps running (Điều 7.1.b, 10.1.g: a hijacker must be out at once), and a delegate
removed from a mailbox keeps reading a shared folder selected before. So, once the
generation that takes the right away is live, the backend flushes Dovecot's
authentication cache for those logins (harmless when the cache is off) and has
``doveadm kick`` end their sessions, in one batch.

The logins are written into the staged generation (``.end-sessions``, 0600; a dot file:
neither served, recorded nor backed up) before its switch, so a run killed after the
switch, or one whose doveadm failed, leaves them for the next apply (``recover``), which
carries what it still cannot end into its own generation.

Kicked in the switch's own second, a client logging in again at once could pass with the
old passwd-file (Dovecot looks at its stamp once a second): the kick waits for the next.

The rule, in one place (``ending``): a login active before the batch whose account is
gone (a rename's old name), no longer active, or has a new password hash; and every
delegate of a delegation the batch removes (the ACL's pairs, render.py).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import subprocess
import time

from ...common.files import replace_atomically
from ..base import BackendError
from .layout import Layout
from .render import delegations
from .state import ServerState

PENDING = ".end-sessions"
# Up to this many logins, each is kicked by name; more (a bulk revoke), only those
# ``doveadm who`` lists as connected, so a batch never runs thousands of doveadm.
DIRECT_KICKS = 20
# Dovecot's auth-master takes a request line of at most 1024 bytes: the logins of one
# ``doveadm auth cache flush`` stay well below; more than DIRECT_KICKS flush the whole cache.
FLUSH_BYTES = 768
TIMEOUT = 30
NO_USER_KICKED = 68  # doveadm's EX_NOUSER: nobody of that name was connected
NOT_RUNNING = ("No such file or directory", "Connection refused")


def ending(layout: Layout, old: ServerState, new: ServerState) -> list[str]:
    """The full logins whose open sessions the batch from ``old`` to ``new`` must end."""
    logins = set()
    for address, account in old.accounts.items():
        if account.status != "active":
            continue  # a locked or revoked login has no session to end
        after = new.accounts.get(address)
        if (after is None or after.status != "active"
                or new.hashes.get(address) != old.hashes.get(address)):
            logins.add(layout.full(address))
    removed = (set(delegations(layout, old.accounts.values()))
               - set(delegations(layout, new.accounts.values())))
    logins.update(delegate for _owner, delegate in removed)
    return sorted(logins)


def stage(directory: str, logins: list[str]) -> None:
    """Write the logins into the staged generation (nothing when there are none)."""
    if logins:
        replace_atomically(os.path.join(directory, PENDING), "".join(f"{x}\n" for x in logins),
                           0o600)


def pending(live: str | None) -> list[str]:
    """The logins a committed generation still has to end."""
    path = os.path.join(live or "", PENDING)
    if live is None or not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def end(layout: Layout, live: str | None) -> dict:
    """End the sessions the live generation lists; ``{"ended": <count>, "error": None}``,
    or the coded message of what failed (``error``, HYR019), the list kept for the next
    apply. Never raises: the batch is committed, its journal and notices done."""
    logins = pending(live)
    if not logins:
        return {"ended": 0, "error": None}
    second_after_switch(layout)
    try:
        kicked = Doveadm(layout).end(logins)
    except BackendError as error:
        return {"ended": 0, "error": str(error)}
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(live, PENDING))
    return {"ended": kicked, "error": None}


def flush(layout: Layout, logins: list[str]) -> dict:
    """Flush Dovecot's authentication cache for ``logins``, ending no session (a password
    its user changed: the old one must be refused at once, open sessions stay).
    ``{"flushed": <count>, "error": None}`` or the coded message (HYR019); never raises."""
    try:
        done = Doveadm(layout).flush(logins)
    except BackendError as error:
        return {"flushed": 0, "error": str(error)}
    return {"flushed": done, "error": None}


def _flush_batches(logins: list[str]) -> list[list[str]]:
    """The logins of each ``doveadm auth cache flush``: a few per call, or (a bulk batch)
    one call with none, which empties the whole cache (a cache only: logins still work)."""
    if len(logins) > DIRECT_KICKS:
        return [[]]
    batches, size = [[]], 0
    for login in logins:
        if batches[-1] and size + len(login) + 1 > FLUSH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(login)
        size += len(login) + 1
    return batches


def second_after_switch(layout: Layout) -> None:
    """Wait for the second after the switch: Dovecot's auth looks at a passwd-file's stamp
    at most once a second, so a client kicked in the switch's own second and logging in
    again at once could still pass with the old file (deny.passwd without it), and mail for
    a mailbox created by the batch, accepted by Postfix (whose maps are new at once), could be
    refused by Dovecot's LMTP as an unknown user and bounce. From the next second on, every
    lookup sees the new generation."""
    with contextlib.suppress(FileNotFoundError):
        wait = math.floor(os.lstat(layout.generations.live).st_mtime) + 1.05 - time.time()
        time.sleep(max(0.0, wait))


class Doveadm:
    """doveadm with the role's Dovecot configuration: the embedded server's file under
    state_dir, or (systemd mode) Dovecot's default one."""

    def __init__(self, layout: Layout):
        self.config = layout.dovecot_config
        # Dovecot's base_dir: the embedded server's under state_dir, systemd mode's /run.
        self.base_dir = (os.path.join(layout.state_dir, "run", "dovecot") if self.config
                         else "/run/dovecot")

    def end(self, logins: list[str]) -> int:
        """Flush the cache for ``logins`` and kick them; the number of logins kicked.
        No Dovecot (not installed, not set up, not running) means no session: 0."""
        if shutil.which("doveadm") is None or (self.config and not os.path.exists(self.config)):
            return 0
        for names in _flush_batches(logins):
            if self._run(["auth", "cache", "flush", *names]) is None:
                return 0
        targets = logins if len(logins) <= DIRECT_KICKS else self._connected(logins)
        kicked = 0
        for login in targets:
            kicked += self._run(["kick", login], ok=(0, NO_USER_KICKED)) is not None
        # A session in IDLE may be hibernated: then its pid is an imap-hibernate process
        # holding other users' sessions too, and a plain kick ends nothing (it only warns,
        # exit 0). -f ends that process: every session it holds, each client reconnecting
        # (imap-hibernate's client_limit bounds how many; docs/mailserver.md, "Idle clients").
        for login in self._hibernated(targets):
            self._run(["kick", "-f", login], ok=(0, NO_USER_KICKED))
        return kicked

    def flush(self, logins: list[str]) -> int:
        """Flush the cache for ``logins``; how many were flushed (0: no Dovecot running)."""
        if shutil.which("doveadm") is None or (self.config and not os.path.exists(self.config)):
            return 0
        for names in _flush_batches(logins):
            if self._run(["auth", "cache", "flush", *names]) is None:
                return 0
        return len(logins)

    def _connected(self, logins: list[str]) -> list[str]:
        """The logins among ``logins`` that have a session now."""
        output = self._run(["who", "-1"])
        wanted = set(logins)
        found = {line.split()[0] for line in (output or "").splitlines()[1:] if line.strip()}
        return sorted(found & wanted)

    def _hibernated(self, logins: list[str]) -> list[str]:
        """The logins among ``logins`` with a session held by an imap-hibernate process
        (``doveadm who`` runs only when this Dovecot has one)."""
        if not logins or not self._hibernating():
            return []
        output = self._run(["who", "-1"]) or ""
        wanted, found = set(logins), set()
        for line in output.splitlines()[1:]:
            fields = line.split()  # username, proto, pid, ip (one line per connection)
            if fields and fields[0] in wanted and any(
                    field.strip("()").isdigit() and _is_hibernate(field) for field in fields[1:]):
                found.add(fields[0])
        return sorted(found)

    def _hibernating(self) -> bool:
        """Whether this Dovecot's master runs an imap-hibernate process now."""
        try:
            with open(os.path.join(self.base_dir, "master.pid"), encoding="ascii") as handle:
                master = handle.read().split()[0]
        except (OSError, IndexError):
            return False
        for entry in os.listdir("/proc"):
            if entry.isdigit() and _is_hibernate(entry):
                try:
                    with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as h:
                        if h.read().rsplit(")", 1)[1].split()[1] == master:
                            return True
                except (OSError, IndexError):
                    continue
        return False

    def _run(self, arguments: list[str], ok: tuple[int, ...] = (0,)) -> str | None:
        """doveadm's output; None when Dovecot is not running; HYR019 on any other failure
        (doveadm says some of them only on stderr, with exit code 0)."""
        command = ["doveadm", *(["-c", self.config] if self.config else []), *arguments]
        try:
            result = subprocess.run(command, capture_output=True, text=True, check=False,
                                    timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise BackendError("HYR019", command=" ".join(command), stderr=str(error)) from error
        stderr = result.stderr.strip()
        if any(word in stderr for word in NOT_RUNNING) and ("anvil" in stderr
                                                            or "auth-master" in stderr):
            return None  # no socket: Dovecot is not running, so no session is open
        if result.returncode not in ok or "Error:" in stderr or "Fatal:" in stderr:
            raise BackendError("HYR019", command=" ".join(command),
                               stderr=stderr or f"exit {result.returncode}")
        return result.stdout


def _is_hibernate(pid: str) -> bool:
    """Whether ``pid`` (doveadm who's column, maybe in parentheses) is an imap-hibernate."""
    try:
        with open(f"/proc/{pid.strip('()')}/comm", encoding="ascii") as handle:
            return handle.read().strip() == "imap-hibernate"
    except (OSError, ValueError):
        return False
