"""Backup and restore of a province (issue 16, part 6): measured and explained, no target.

The part provisions ``BENCH_BACKUP_PEOPLE`` people (100,000 by default: 104,500 mailboxes with
the agencies' and divisions' own) with the core reconcile, and gives ``BENCH_BACKUP_MESSAGES``
of them one message of 2 KiB each by LMTP, as Postfix would. Then it runs what the operator
runs (docs/operations.md), each step measured (wall, CPU, peak memory):

- ``playbooks/backup.yml`` into a directory outside the state: the served data files, the
  journal, the holds and every maildir, copied under the apply lock and verified;
- ``backup.yml -e backup_verify=all``: the backup re-read against its MANIFEST;
- the server emptied (no account, no mail: the benchmark's reset), then
  ``playbooks/restore.yml``: every maildir file, then the data files as a new generation.

Figures: the backup's size and number of files, and that the restore brought back every
account and every message.
"""

from __future__ import annotations

import dataclasses
import os
import socket

from . import Context

TITLE = "Backup and restore (part 6)"
PEOPLE = int(os.environ.get("BENCH_BACKUP_PEOPLE", "100000"))
MESSAGES = int(os.environ.get("BENCH_BACKUP_MESSAGES", "2000"))
SIZE = 2048


def run(ctx: Context) -> dict:
    province = ctx.provision(PEOPLE)
    sample = province["addresses"][:: max(1, len(province["addresses"]) // MESSAGES)][:MESSAGES]
    deliver(ctx, sample)
    before = {"accounts": accounts(ctx), "messages": messages(ctx)}
    backups = os.path.join(ctx.work, "backups")
    extra = {"backup_dir": backups}
    backup = ctx.playbook("backup.yml", "playbooks/backup.yml", extra)
    verify = ctx.playbook("backup.yml, verify", "playbooks/backup.yml",
                          extra | {"backup_verify": "all"})
    size, files = tree_size(backups)
    ctx.server.reset()
    emptied = {"accounts": accounts(ctx), "messages": messages(ctx)}
    restore = ctx.playbook("restore.yml, everything", "playbooks/restore.yml",
                           extra)
    after = {"accounts": accounts(ctx), "messages": messages(ctx)}
    return {"people": PEOPLE, "mailboxes": len(province["addresses"]),
            "messages_delivered": len(sample), "before": before, "emptied": emptied,
            "after": after, "backup_bytes": size, "backup_files": files,
            "backup": dataclasses.asdict(backup), "verify": dataclasses.asdict(verify),
            "restore": dataclasses.asdict(restore)}


def deliver(ctx: Context, recipients: list[str]) -> None:
    """One message to each recipient over Dovecot's LMTP socket, in one session."""
    path = os.path.join(ctx.server.state_dir, "spool", "private", "dovecot-lmtp")
    body = ("Subject: bench\r\n\r\n" + "x" * SIZE + "\r\n.\r\n").encode()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(path)
        reader = sock.makefile("rb")
        expect(reader, b"220")
        sock.sendall(b"LHLO bench\r\n")
        while not expect(reader, b"250").startswith(b"250 "):
            pass
        for recipient in recipients:
            sock.sendall(f"MAIL FROM:<bench@localhost>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n"
                         .encode())
            expect(reader, b"250")
            expect(reader, b"250")
            expect(reader, b"354")
            sock.sendall(body)
            expect(reader, b"250")
        sock.sendall(b"QUIT\r\n")


def expect(reader, code: bytes) -> bytes:
    line = reader.readline()
    if not line.startswith(code):
        raise RuntimeError(f"LMTP answered {line!r}, expected {code.decode()}")
    return line


def accounts(ctx: Context) -> int:
    path = os.path.join(ctx.server.state_dir, "data", "live", "users.passwd")
    if not os.path.exists(path):
        return 0
    with open(path, encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def messages(ctx: Context) -> int:
    """Message files in every maildir's cur/ and new/."""
    count = 0
    for folder, _dirs, files in os.walk(os.path.join(ctx.server.state_dir, "mail")):
        if os.path.basename(folder) in ("cur", "new"):
            count += len(files)
    return count


def tree_size(path: str) -> tuple[int, int]:
    size = files = 0
    for folder, _dirs, names in os.walk(path):
        for name in names:
            size += os.lstat(os.path.join(folder, name)).st_size
            files += 1
    return size, files


def render(result: dict) -> str:
    lines = [
        f"{result['people']:,} people ({result['mailboxes']:,} accounts), "
        f"{result['messages_delivered']:,} of them with one message of {SIZE:,} bytes "
        "(delivered by LMTP before the backup), with the operator's playbooks. The backup "
        f"holds {result['backup_files']:,} files, {result['backup_bytes'] / 1e6:,.1f} MB.", "",
        "| step | wall (s) | CPU (s) | peak (MB) |", "|---|---:|---:|---:|"]
    for key, label in (("backup", "backup.yml (copy under the apply lock, then verify)"),
                       ("verify", "backup.yml -e backup_verify=all (re-read)"),
                       ("restore", "restore.yml on the emptied server (mail, then data)")):
        run = result[key]
        lines.append(f"| {label} | {run['wall']:.2f} | {run['cpu']:.2f} | "
                     f"{run['peak_mb']:.0f} |")
    lines += ["", "| | accounts | messages |", "|---|---:|---:|"]
    for key, label in (("before", "before the backup"), ("emptied", "after the reset"),
                       ("after", "after the restore")):
        lines.append(f"| {label} | {result[key]['accounts']:,} | {result[key]['messages']:,} |")
    return "\n".join(lines)
