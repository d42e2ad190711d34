"""Mail keeps flowing while applies of thousands of changes run (issue 7).

A sender thread delivers numbered messages over SMTP, a connection each, while the main
thread applies one desired state after another in a driver process. Afterwards every
message SMTP accepted is in its mailbox exactly once (read as the mailbox's user by
doveadm; what Postfix deferred is flushed first), none was refused for good, and a message
not delivered is shown with what Postfix's log says of it.

``active``: the recipients are mailboxes the applies leave alone or only update (directory
entry, name), and the applies follow one another. ``renamed``: they are the first
addresses of mailboxes the applies rename, half of them at each step; those addresses stay
theirs as aliases, so the mail must still arrive. Between two of these applies a second
passes and Postfix tries its deferred mail again, as the minutes between two real applies
would let it.
HYMAIL_LOAD_MESSAGES and HYMAIL_LOAD_ACCOUNTS change the size.
"""

from __future__ import annotations

import collections
import os
import subprocess
import time

import pytest
from crash_support import (
    Driver,
    Probe,
    Sender,
    Workload,
    drop_notices,
    mail_fates,
    next_second,
)
from e2e_support import PORTS

pytestmark = pytest.mark.server
MESSAGES = int(os.environ.get("HYMAIL_LOAD_MESSAGES", "400"))
ACCOUNTS = int(os.environ.get("HYMAIL_LOAD_ACCOUNTS", "1500"))
SENDER = "e2e-load@example.org"
DEADLINE = 90  # seconds for the sending and the applies; it takes well under a minute here
GROUPS = {  # recipients (workload keys), at most so many applies, a pause after each
    # quiet mailboxes never change; role 0 mailboxes get a metadata update at every step
    "active": ([f"q{j:02d}" for j in range(10)] + [f"b{i:04d}" for i in range(0, 100, 10)],
               25, False),
    # roles 1 and 2: renamed at every other step
    "renamed": ([f"b{i:04d}" for i in range(100) if i % 10 in (1, 2)], 12, True),
}


@pytest.fixture(autouse=True)
def no_notices_left(server):
    """This module's workloads leave no notice behind in the outbox."""
    yield
    for group in GROUPS:
        drop_notices(server.outbox, f"tload{group[:3]}")


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_mail_sent_during_applies_is_delivered_exactly_once(server, tmp_path, group):
    workload = Workload(f"tload{group[:3]}", size=ACCOUNTS, quiet=10)
    driver = Driver(server.state_dir, tmp_path)
    driver.complete(workload.mailboxes(0))
    keys, count, pause = GROUPS[group]
    first = workload.entries(0)

    deadline = time.monotonic() + DEADLINE
    # paced, so that the messages span several applies and their commits
    sender = Sender(PORTS["smtp_port"], SENDER, [first[key].address for key in keys],
                    MESSAGES, deadline, pace=0.05 if pause else 0.03)
    sender.start()
    postfix_dir = server.state_dir / "etc" / "postfix"
    applies = apply_while(sender, driver, workload, deadline, count,
                          postfix_dir if pause else None)
    sender.join(timeout=max(deadline - time.monotonic(), 0) + 60)
    assert not sender.is_alive(), "the sender did not stop"

    during = [m for m in sender.sent if any(start <= m.finished and m.started <= end
                                            for start, end, _ in applies)]
    after = [m for m in sender.sent if any(end < m.started <= end + 2 for _, end, _ in applies)]
    print(f"{len(sender.sent)} messages, {len(during)} of them sent while one of "
          f"{len(applies)} applies ran, {len(after)} in the two seconds after one; changes "
          f"per apply: {[changes(result) for _, _, result in applies]}; retried: "
          f"{sum(m.tries > 1 for m in sender.sent)}")
    assert len(sender.sent) == MESSAGES, f"only {len(sender.sent)} messages in {DEADLINE} s"
    assert applies and len(during) >= 5 and len(after) >= 20, \
        "too few messages beside the applies"
    refused = [m for m in sender.sent if m.answer != "accepted"]
    assert not refused, f"{len(refused)} messages refused, e.g. {refused[:3]}"
    last = workload.entries(len(applies))
    mailboxes = {first[key].address: last[key].address for key in keys}
    probe = Probe(server.state_dir, PORTS["smtp_port"], PORTS["imap_port"])
    retry_deferred(postfix_dir)
    missing, problems = delivery_problems(probe, sender.sent, mailboxes, postfix_dir)
    fates = mail_fates(postfix_dir, set(missing))
    problems += [f"{mid} not delivered; Postfix: {' | '.join(fates[mid]) or 'no trace'}"
                 for mid in missing]
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])


def apply_while(sender: Sender, driver: Driver, workload: Workload, deadline: float,
                count: int, pause_for=None) -> list:
    """Apply states 1, 2, ... up to ``count`` while the sender sends (it is given a head
    start), then, with ``pause_for`` (Postfix's configuration), let Dovecot follow and
    Postfix retry its deferred mail; (start, end, result) of each apply."""
    while len(sender.sent) < 10 and sender.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    applies = []
    for step in range(1, count + 1):
        if not sender.is_alive() or time.monotonic() > deadline:
            break
        started = time.monotonic()
        result = driver.complete(workload.mailboxes(step))
        assert result["changed"] and changes(result) >= 1000, result["summary"]
        applies.append((started, time.monotonic(), result))
        if pause_for:
            retry_deferred(pause_for)
    return applies


def retry_deferred(postfix_dir) -> None:
    """Once Dovecot follows the last apply (the next second), Postfix tries its deferred
    mail again (``postqueue -f``)."""
    next_second()
    subprocess.run(["postqueue", "-c", str(postfix_dir), "-f"], check=True, timeout=60)


def changes(result: dict) -> int:
    """What an apply changed (the summary's total counts the drift too)."""
    return result["summary"]["total"] - result["summary"]["drift"]


def delivery_problems(probe: Probe, sent: list, mailboxes: dict[str, str], postfix_dir,
                      timeout: float = 60) -> tuple[list, list]:
    """Each message must be in its recipient's INBOX exactly once (``mailboxes``: the
    address it was sent to -> where its mailbox logs in now); waits for the delivery, up to
    ``timeout`` s or until Postfix logged a bounce for each message not found. The
    Message-IDs not found, and the other problems (duplicates)."""
    wanted = collections.defaultdict(list)
    for message in sent:
        wanted[mailboxes[message.to]].append(message.message_id)
    limit = time.monotonic() + timeout
    while True:
        missing, problems = [], []
        for address, ids in sorted(wanted.items()):
            found = collections.Counter(probe.inbox_subjects(address, "Message-ID"))
            missing += [message_id for message_id in ids if not found[message_id]]
            problems += [f"{message_id} is in {address} {found[message_id]} times, not once"
                         for message_id in ids if found[message_id] > 1]
        if not (missing or problems) or time.monotonic() > limit or _settled(
                postfix_dir, missing):
            return missing, problems
        time.sleep(1)


def _settled(postfix_dir, missing: list[str]) -> bool:
    """Whether Postfix's last word on each message is that it bounced (no waiting helps)."""
    fates = mail_fates(postfix_dir, set(missing))
    return all(fates[m] and "status=bounced" in fates[m][-1] for m in missing)

