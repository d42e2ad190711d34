"""The host-side backup command: what the role's timers run (systemd mode) and the tests run
(embedded mode), with Debian's python3 and PYTHONPATH=<state_dir>/lib (tasks/web.yml puts
module_utils there), like the password helper:

    python3 -m ansible_collections.hungyen.mail.plugins.module_utils.backup.cli \\
        --state-dir /var/lib/hymail --domain hungyen.gov.vn backup
    ... verify [--backup all|<name>]        (make backup ARGS="-e backup_verify=...")
    ... offsite-restore --backup <name> --target <dir>

``backup`` is ``make backup`` (playbooks/backup.yml) without the controller: the same core
(``site.run``: a backup under the apply lock, verified, then the retention policy), then the
metrics textfile, then, when ``--offsite-repository`` is set, restic copies every verified
backup the repository lacks (``offsite.py``). ``verify`` re-reads backups against their
MANIFEST and, with a repository, has restic check it. ``offsite-restore`` brings one copy
back from the repository into a directory and verifies it.

The output is the operator's, in English (the systemd journal): one line per step; the
backup core's own messages (coded HYB, Vietnamese) are printed as they are on failure.
Exit status: 0 done, 1 failed (the unit fails, ``systemctl --failed`` lists it).
"""

from __future__ import annotations

import argparse
import os
import sys

from ..backends.base import BackendError
from ..backends.factory import backend_from_settings
from ..common import clock
from ..metrics import textfile
from . import offsite
from . import site as backup_site
from .archive import DEFAULT_KEEP, DEFAULT_KEEP_DAYS, LOCK_TIMEOUT, BackupError, complete
from .restore import verify_all  # what the module's verify action runs

TOOL_VERSION = "hymail-backup (host)"


def say(text: str) -> None:
    """One line for the operator (the journal); ansible-test's pylint forbids print here."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hymail-backup",
        description="Take a verified backup of the mail server (as make backup does), verify "
                    "backups, copy them off the host with restic, or restore such a copy.")
    parser.add_argument("--state-dir", required=True, help="the mail server's state_dir")
    parser.add_argument("--domain", required=True, help="mail_domain (hungyen.gov.vn)")
    parser.add_argument("--backup-dir", default=None,
                        help="where backups are kept (default <state_dir>/backups)")
    parser.add_argument("--postfix-config-dir", default=None,
                        help="Postfix's configuration directory (default <state_dir>/etc/postfix)")
    parser.add_argument("--postmap", default=None, help="postmap (default: from PATH)")
    parser.add_argument("--lock-timeout", type=float, default=LOCK_TIMEOUT,
                        help="seconds to wait for a running apply")
    parser.add_argument("--no-metrics", action="store_true",
                        help="do not write the metrics textfile (<state_dir>/metrics)")
    parser.add_argument("--ssl-cert", default=None,
                        help="the certificate whose expiry the textfile records")
    parser.add_argument("--offsite-repository", default="",
                        help="restic repository for the off-host copies (empty: none)")
    parser.add_argument("--offsite-password-file", default=None,
                        help="its password file (default <state_dir>/etc/backup-offsite.password;"
                             " made 0600 when absent)")
    parser.add_argument("--keep", type=int, default=DEFAULT_KEEP,
                        help="keep at least the newest this many backups (backup_keep)")
    parser.add_argument("--keep-days", type=int, default=DEFAULT_KEEP_DAYS,
                        help="keep every backup younger than this many days (backup_keep_days)")
    parser.add_argument("--tool-version", default=TOOL_VERSION,
                        help="what made the backup (recorded in its backup.json)")
    parser.add_argument("--restic", default=offsite.RESTIC, help="the restic command")
    parser.add_argument("--restic-cache-dir", default=None, help="restic's cache directory")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("backup", help="take a verified backup, apply the retention policy, "
                                       "copy off the host")
    verify = commands.add_parser("verify", help="re-read backups against their MANIFEST "
                                                "(backup_verify), check the off-host repository")
    verify.add_argument("--backup", default=None,
                        help="a backup's name, or all (default: the newest)")
    commands.add_parser("offsite-password", help="make the restic password file when absent "
                                                 "(never prints it)")
    restore = commands.add_parser("offsite-restore",
                                  help="restore one backup's off-host copy into a directory")
    restore.add_argument("--backup", required=True, help="the backup's name (its UTC stamp)")
    restore.add_argument("--target", required=True,
                         help="an empty directory; the backup lands in <target>/<name>")
    return parser.parse_args(argv)


def repository(args: argparse.Namespace) -> offsite.Repository | None:
    if not args.offsite_repository:
        return None
    password_file = args.offsite_password_file or os.path.join(
        args.state_dir, "etc", "backup-offsite.password")
    if offsite.ensure_password_file(password_file):
        say(f"made the restic password file {password_file} (0600): keep a copy of it off "
            f"the host, the off-host copies cannot be read without it")
    return offsite.Repository(args.offsite_repository, password_file, args.restic,
                              args.restic_cache_dir)


def backup_dir(args: argparse.Namespace) -> str:
    return args.backup_dir or os.path.join(args.state_dir, "backups")


def take(args: argparse.Namespace) -> None:
    backend = backend_from_settings(args.state_dir, args.domain,
                                    postfix_config_dir=args.postfix_config_dir,
                                    postmap=args.postmap)
    params = {"action": "backup", "backup_dir": args.backup_dir, "keep": args.keep,
              "keep_days": args.keep_days, "tool_version": args.tool_version,
              "lock_timeout": args.lock_timeout}
    result = backup_site.run(backend, params)
    taken, deleted = result["backup"], result["retention"]["deleted"]
    say(f"backup {taken['name']} taken and verified in {taken['path']}: "
        f"{taken['accounts']} mailboxes, {taken['messages']} messages, {taken['files']} "
        f"files, {taken['bytes']} bytes; {len(deleted)} old backups deleted "
        f"(retention: keep {args.keep}, {args.keep_days} days)")
    for warning in result.get("warnings") or []:
        say(f"warning: {warning}")
    if not args.no_metrics:
        statuses = [account.status for account in backend.read_state().values()]
        textfile.write(args.state_dir, clock.now().timestamp(), "backup",
                       {"at": clock.now().timestamp()}, backup_dir(args), args.ssl_cert, statuses)
        say(f"metrics textfile written in {textfile.metrics_dir(args.state_dir)}")


def copy_off(args: argparse.Namespace) -> None:
    repo = repository(args)
    if repo is None:
        say("no off-host copy: mailserver_backup_offsite_repository is empty")
        return
    done = offsite.copy_verified(repo, backup_dir(args))
    say(f"off-host copies in {args.offsite_repository}: copied "
        f"{', '.join(done['copied']) or 'none'}; already there: {len(done['present'])}")
    if done["refused"]:
        raise offsite.OffsiteError(f"not copied off the host, they do not match their "
                                   f"MANIFEST: {', '.join(done['refused'])}")


def check(args: argparse.Namespace) -> None:
    if args.backup == "all" and not complete(backup_dir(args)):
        # Nothing to re-read is no failed verification: HymailNoVerifiedBackup tells a host
        # without a backup (a new host, before its first daily backup).
        say(f"no backup to verify yet in {backup_dir(args)}")
    else:
        checked = verify_all(backup_dir(args), args.backup)
        names = [item["name"] for item in checked["verified"]]
        say(f"{len(names)} backups match their MANIFEST: {', '.join(names)}")
    repo = repository(args)
    if repo is not None:
        repo.ensure()
        repo.check()
        say(f"restic check of {args.offsite_repository}: no errors")


def restore_copy(args: argparse.Namespace) -> None:
    repo = repository(args)
    if repo is None:
        raise offsite.OffsiteError("offsite-restore needs --offsite-repository")
    done = offsite.restore_verified(repo, args.backup, args.target)
    say(f"backup {args.backup} restored from {args.offsite_repository} into {done['path']} "
        f"and verified: {done['files']} files, {done['bytes']} bytes; restore the server "
        f"from it with make restore ARGS=\"-e backup_dir={args.target} "
        f"-e backup_name={args.backup}\"")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.command == "backup":
            take(args)
            copy_off(args)
        elif args.command == "verify":
            check(args)
        elif args.command == "offsite-password":
            if repository(args) is None:
                say("no off-host copy: mailserver_backup_offsite_repository is empty")
        else:
            restore_copy(args)
    except (BackupError, BackendError, offsite.OffsiteError, ValueError, OSError) as error:
        sys.stderr.write(f"hymail-backup {args.command} failed: {error}\n")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
