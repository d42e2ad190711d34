"""SMTP acceptance of the shipped configuration beside stock Postfix, on one server (issue 16).

Method. A province of PEOPLE people is applied to the benchmark's server. ``smtp-source``
(the postfix package's load generator) sends MESSAGES messages of SIZE bytes in SESSIONS
parallel sessions, one message per connection (its default: every message is a new SMTP
session, the case process reuse is about), each run to a new province address, to:

- **shipped**: the inbound service exactly as the role renders it (smtpd with Postfix's
  default process reuse; recipient checks: the revocation map, reject_unlisted_recipient,
  the map of nearly full mailboxes, Dovecot's quota-status for those; the rspamd milter,
  cleanup, LMTP delivery);
- **baseline**: a second smtpd service added to the same master.cf for the run (postconf
  -M, removed after it) with Postfix's defaults for process reuse and
  ``smtpd_recipient_restrictions`` emptied: none of the project's per-RCPT additions (no
  revocation map, no quota-status; Postfix's own smtpd_reject_unlisted_recipient still
  refuses unknown addresses). Everything else is the same server: milter, cleanup, queue,
  delivery;
- **max_use=1**: the same as shipped plus ``-o max_use=1`` (the master.cf before issue 16),
  for reference.

Runs alternate (shipped, baseline, ...) and each waits for the queue to drain first. Then:
the shipped rate while an apply of CHANGES changes (half revocations, half new mailboxes)
runs; RCPT checks alone (pipelined RCPT, no DATA) on shipped and baseline, which isolates
the per-RCPT checks; and submission (STARTTLS, AUTH PLAIN, rate-limit policy) with a Python client,
one login per session and PER_LOGIN messages per session, beside the same client on the
inbound port. smtp-source speaks neither TLS nor AUTH; the cost of logging in is the login
part's.
"""

from __future__ import annotations

import base64
import json
import os
import smtplib
import ssl
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".collections"))

from ansible_collections.hungyen.mail.plugins.module_utils.apply import (  # noqa: E402
    journal,
    passwords,
)
from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (  # noqa: E402
    HashSettings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.backends.factory import (  # noqa: E402
    backend_from_settings,
)
from ansible_collections.hungyen.mail.plugins.module_utils.common import clock  # noqa: E402
from ansible_collections.hungyen.mail.plugins.module_utils.password.change import (  # noqa: E402
    PasswordChanged,
)

from . import ports  # noqa: E402

TITLE = "SMTP acceptance: shipped configuration beside stock Postfix"
PEOPLE = 2_000
SESSIONS, MESSAGES, SIZE = 10, 2_000, 2_048
REPEATS = 2  # shipped and baseline runs each (alternating); max_use=1 once
CHANGES = 1_000
RCPT_CLIENTS, RCPT_SESSIONS, RCPT_PER_SESSION = 4, 3, 500
SUBMISSION_LOGINS, PER_LOGIN = 100, 20  # 30 recipients/hour/login on inventory/local
SOURCE = "/usr/sbin/smtp-source"
SENDER = "bench@example.org"


def run(ctx) -> dict:
    postfix = Postfix(ctx.server.state_dir)
    province = ctx.provision(PEOPLE)
    reserved = province["addresses"][-20:]
    targets = iter(reserved)  # a fresh mailbox for every run, never one the apply changes
    inbound = int(ctx.server.extra_vars["smtp_port"])
    added = postfix.add_services()
    try:
        ports = {"shipped": inbound, **added}
        runs: dict[str, list[dict]] = {"shipped": [], "baseline": [], "max_use_1": []}
        order = ["shipped", "baseline"] * REPEATS + ["max_use_1"]
        for name in order:
            postfix.drain()
            runs[name].append(source(ctx, f"smtp-source {name}", ports[name], next(targets)))
        postfix.drain()
        during = during_apply(ctx, province, inbound, next(targets), reserved)
        postfix.drain()
        rcpt = {name: rcpt_rate(ports[name], province["addresses"]) for name in
                ("shipped", "baseline")}
        postfix.drain()
        revoked = set(during.pop("revoked"))
        active = [a for a in province["addresses"] if a not in revoked]
        try:
            submission = submission_rates(ctx, postfix, active, inbound, next(targets))
        except OSError as error:  # e.g. the server's TLS files gone: the other figures stay
            submission = {"skipped": f"{type(error).__name__}: {error}"}
        postfix.drain()
    finally:
        postfix.remove_services(added)
    shipped = statistics.median(r["per_second"] for r in runs["shipped"])
    baseline = statistics.median(r["per_second"] for r in runs["baseline"])
    return {
        "method": __doc__.split("Method. ", 1)[1].strip(),
        "people": PEOPLE, "sessions": SESSIONS, "messages": MESSAGES, "size": SIZE,
        "runs": runs, "shipped_per_second": round(shipped, 1),
        "baseline_per_second": round(baseline, 1),
        "ratio": round(shipped / baseline, 3), "during_apply": during, "rcpt": rcpt,
        "submission": submission, "max_use": postfix.max_use()}


# --- the runs ---------------------------------------------------------------------------


def source(ctx, label: str, port: int, to: str) -> dict:
    """One smtp-source run; every message must be accepted (a refusal ends it non-zero)."""
    run = ctx.run(label, [SOURCE, "-s", str(SESSIONS), "-m", str(MESSAGES), "-l", str(SIZE),
                          "-f", SENDER, "-t", to, f"127.0.0.1:{port}"])
    return {"wall_s": round(run.wall, 2), "per_second": round(MESSAGES / run.wall, 1),
            "client_cpu_s": round(run.cpu, 2), "load": _load()}


def during_apply(ctx, province: dict, port: int, to: str, reserved: list[str]) -> dict:
    """smtp-source while the core reconcile applies CHANGES changes to the same server."""
    changed = os.path.join(ctx.work, "changed-desired.json")
    counts = change_desired(province["desired_file"], changed, set(reserved))
    result: dict = {}

    def apply() -> None:
        result["apply"] = ctx.core(
            f"apply {CHANGES} changes during smtp-source", "reconcile", "--desired", changed,
            "--state-dir", ctx.server.state_dir, "--plan-file",
            os.path.join(ctx.server.state_dir, "applied-plan.json"),
            "--time-cost", str(ctx.bench_hash["time_cost"]),
            "--memory-kib", str(ctx.bench_hash["memory_kib"]),
            "--parallelism", str(ctx.bench_hash["parallelism"]))

    start = time.perf_counter()
    thread = threading.Thread(target=apply)
    thread.start()
    sent = source(ctx, "smtp-source shipped, during an apply", port, to)
    thread.join()
    applied = result["apply"]
    return {**sent, "changes": {k: len(v) for k, v in counts.items()},
            "revoked": counts["revoked"], "apply_wall_s": round(applied.wall, 2),
            "apply_ok": applied.ok,
            "overlap_s": round(min(sent["wall_s"], applied.wall), 2),
            "started_together_s": round(time.perf_counter() - start, 2)}


def change_desired(desired_file: str, out: str, keep: set[str]) -> dict:
    """The province with CHANGES changes: half of its people revoked, half new people
    (the addresses of each)."""
    with open(desired_file, encoding="utf-8") as handle:
        desired = json.load(handle)
    people = [m for m in desired["mailboxes"] if m["kind"] == "person"
              and f"{m['address']}@{desired['domain']}" not in keep and not m.get("delegates")]
    revoke, new = people[:CHANGES // 2], people[CHANGES // 2:CHANGES]
    for mailbox in revoke:
        mailbox["status"] = "revoked"
    for n, mailbox in enumerate(new):
        desired["mailboxes"].append(dict(mailbox, address=f"benchnew{n}", previous=[]))
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(desired, handle, ensure_ascii=False)
    domain = desired["domain"]
    return {"revoked": [f"{m['address']}@{domain}" for m in revoke],
            "created": [f"benchnew{n}@{domain}" for n in range(len(new))]}


def rcpt_rate(port: int, addresses: list[str]) -> dict:
    """RCPT checks alone: RCPT_CLIENTS clients, pipelined RCPTs to existing addresses."""
    errors: list[str] = []

    def client(offset: int) -> None:
        try:
            for s in range(RCPT_SESSIONS):
                first = (offset * RCPT_SESSIONS + s) * RCPT_PER_SESSION
                batch = [addresses[(first + i) % len(addresses)]
                         for i in range(RCPT_PER_SESSION)]
                codes = pipelined_rcpts(port, batch)
                errors.extend(f"{a}: {c}" for a, c in zip(batch, codes, strict=True)
                              if c != 250)
        except (OSError, smtplib.SMTPException) as error:
            errors.append(str(error))

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(RCPT_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    total = RCPT_CLIENTS * RCPT_SESSIONS * RCPT_PER_SESSION
    return {"rcpts": total, "wall_s": round(wall, 2), "per_second": round(total / wall, 1),
            "refused": len(errors), "first_refusals": errors[:3], "load": _load()}


def pipelined_rcpts(port: int, addresses: list[str]) -> list[int]:
    """One session: MAIL FROM, every RCPT written at once (PIPELINING), the codes, QUIT."""
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as smtp:
        smtp.ehlo("bench.example.org")
        smtp.mail(SENDER)
        smtp.send("".join(f"RCPT TO:<{a}>\r\n" for a in addresses).encode())
        codes = [smtp.getreply()[0] for _ in addresses]
        smtp.rset()
    return codes


def submission_rates(ctx, postfix, active: list[str], inbound: int, to: str) -> dict:
    """Submission (STARTTLS, AUTH, rate limit) beside the same client on the inbound port."""
    port = ports(ctx.server.state_dir)["submission"]
    if not port:
        return {"skipped": "no submission service in master.cf"}
    passwords = set_passwords(ctx, [a for a in active if a != to])
    logins = sorted(passwords)
    context = ssl.create_default_context(cafile=os.path.join(ctx.server.state_dir, "tls",
                                                             "ca.pem"))
    context.check_hostname = False
    plain = python_client(inbound, [(login, None) for login in logins], to, None)
    postfix.drain()
    submitted = python_client(port, [(login, passwords[login]) for login in logins], to,
                              context)
    return {"port": port, "logins": len(logins), "messages_per_login": PER_LOGIN,
            "inbound_same_client": plain, "submission": submitted,
            "ratio": round(submitted["per_second"] / plain["per_second"], 3)}


def set_passwords(ctx, candidates: list[str]) -> dict[str, str]:
    """Known passwords for the first SUBMISSION_LOGINS ``candidates`` with a login, set as
    the password helper sets them (one new generation through set_password_hashes, a
    journal entry each); in memory only."""
    backend = backend_from_settings(ctx.server.state_dir, candidates[0].split("@")[1])
    state = backend.load()
    logins = [a for a in candidates if a.split("@")[0] in state.hashes][:SUBMISSION_LOGINS]
    now = clock.now().isoformat()
    settings = HashSettings(**ctx.bench_hash)
    chosen = {login: passwords.generate(14) for login in logins}
    updates, entries = {}, []
    for login in logins:
        local = login.split("@", 1)[0]
        updates[local] = (state.hashes[local], passwords.hash_password(chosen[login], settings),
                          now)
        entries.append({"v": journal.JOURNAL_VERSION, "at": now, "action": "password_changed",
                        "address": local, "agency": state.accounts[local].agency,
                        "kind": state.accounts[local].kind, "client": "bench"})
    done = backend.set_password_hashes(
        updates, now=now, after=PasswordChanged(ctx.server.state_dir, backend.domain, *entries))
    if sorted(done["set"]) != sorted(updates):
        raise RuntimeError(f"passwords not set for {len(updates) - len(done['set'])} logins")
    time.sleep(1.1)  # Dovecot looks at a passwd-file at most once a second
    return chosen


def python_client(port: int, logins: list[tuple[str, str | None]], to: str,
                  context: ssl.SSLContext | None) -> dict:
    """SESSIONS threads; each login one session (STARTTLS and AUTH PLAIN when ``context``)
    sending PER_LOGIN messages of SIZE bytes to ``to``."""
    body = ("Subject: bench\r\n\r\n" + "x" * 76 + "\r\n") * (SIZE // 78)
    queue = list(logins)
    lock, errors = threading.Lock(), []

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                login, password = queue.pop()
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
                    smtp.ehlo("bench.example.org")
                    if context is not None:
                        smtp.starttls(context=context)
                        smtp.ehlo("bench.example.org")
                        token = base64.b64encode(f"\0{login}\0{password}".encode()).decode()
                        smtp.docmd("AUTH", f"PLAIN {token}")
                    sender = login if context is not None else SENDER
                    for _ in range(PER_LOGIN):
                        smtp.sendmail(sender, [to], f"From: <{sender}>\r\n{body}".encode())
            except (OSError, smtplib.SMTPException) as error:
                with lock:
                    errors.append(f"{type(error).__name__}: {str(error)[:120]}")

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(SESSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start
    total = len(logins) * PER_LOGIN
    return {"messages": total, "wall_s": round(wall, 2), "per_second": round(total / wall, 1),
            "errors": len(errors), "first_errors": errors[:3], "load": _load()}


# --- the server -------------------------------------------------------------------------


class Postfix:
    """The benchmark server's Postfix: extra services for the run, the queue, the ports."""

    def __init__(self, state_dir: str):
        self.config = os.path.join(state_dir, "etc", "postfix")

    def postconf(self, *args: str) -> str:
        return subprocess.run(["postconf", "-c", self.config, *args], check=True,
                              capture_output=True, text=True).stdout

    def reload(self) -> None:
        subprocess.run(["postfix", "-c", self.config, "reload"], check=True,
                       capture_output=True)
        time.sleep(1)

    def add_services(self) -> dict[str, int]:
        from server import free_ports  # bench/server.py, on sys.path with bench/run.py

        baseline, max_use = free_ports(2)
        self.postconf("-Me", f"127.0.0.1:{baseline}/inet=127.0.0.1:{baseline} inet n - n - - "
                             "smtpd -o syslog_name=postfix/bench-baseline "
                             "-o smtpd_recipient_restrictions=")
        self.postconf("-Me", f"127.0.0.1:{max_use}/inet=127.0.0.1:{max_use} inet n - n - - "
                             "smtpd -o syslog_name=postfix/bench-max-use-1 -o max_use=1")
        self.reload()
        return {"baseline": baseline, "max_use_1": max_use}

    def remove_services(self, ports: dict[str, int]) -> None:
        for port in ports.values():
            self.postconf("-MX", f"127.0.0.1:{port}/inet")
        self.reload()

    def max_use(self) -> str:
        return self.postconf("-h", "max_use").strip()

    def drain(self, timeout: float = 300) -> None:
        """Wait until the queue is empty (deliveries of the last run done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            queue = subprocess.run(["postqueue", "-c", self.config, "-p"], capture_output=True,
                                   text=True, check=False)
            if "is empty" in queue.stdout or queue.returncode != 0:
                return
            time.sleep(0.5)
        raise RuntimeError(f"the queue did not drain in {timeout} s")


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- the section --------------------------------------------------------------------------


def render(result: dict) -> str:
    runs = result["runs"]
    lines = [
        f"{result['messages']:,} messages of {result['size']:,} bytes, {result['sessions']} "
        f"parallel sessions, one message per session (smtp-source), to one address of a "
        f"province of {result['people']:,} people; baseline: the same server with Postfix's "
        "default process reuse and no per-RCPT additions (no revocation map, no "
        "quota-status). Median of the runs.", "",
        "| service | runs (messages/s) | median messages/s | ratio to baseline | "
        "load average (1 min) |",
        "|---|---|---:|---:|---|"]
    for name, label in (("shipped", "inbound, shipped"), ("baseline", "baseline"),
                        ("max_use_1", "inbound with max_use=1 (before)")):
        rates = [r["per_second"] for r in runs[name]]
        median = statistics.median(rates)
        lines.append(f"| {label} | {', '.join(f'{r:.0f}' for r in rates)} | {median:.0f} | "
                     f"{median / result['baseline_per_second']:.2f} | "
                     f"{', '.join(str(r['load'][0]) for r in runs[name])} |")
    during = result["during_apply"]
    lines.append(f"| inbound, shipped, during an apply of {sum(during['changes'].values()):,} "
                 f"changes ({during['apply_wall_s']} s) | {during['per_second']:.0f} | "
                 f"{during['per_second']:.0f} | "
                 f"{during['per_second'] / result['baseline_per_second']:.2f} | "
                 f"{during['load'][0]} |")
    lines += ["", "RCPT checks alone (pipelined, no DATA):", "",
              "| service | RCPTs | wall s | RCPTs/s | refused |", "|---|---:|---:|---:|---:|"]
    for name, figures in result["rcpt"].items():
        lines.append(f"| {name} | {figures['rcpts']:,} | {figures['wall_s']} | "
                     f"{figures['per_second']:.0f} | {figures['refused']} |")
    sub = result["submission"]
    if "skipped" in sub:
        lines += ["", f"Submission not measured: {sub['skipped']}"]
    else:
        lines += ["", f"Submission: {sub['logins']} logins, {sub['messages_per_login']} "
                      "messages each over one session (Python client, "
                      f"{result['sessions']} threads):", "",
                  "| service | messages | wall s | messages/s | errors |",
                  "|---|---:|---:|---:|---:|"]
        for name, label in (("inbound_same_client", "inbound, same client"),
                            ("submission", "submission (STARTTLS, AUTH, rate limit)")):
            figures = sub[name]
            lines.append(f"| {label} | {figures['messages']:,} | {figures['wall_s']} | "
                         f"{figures['per_second']:.0f} | {figures['errors']} |")
    return "\n".join(lines) + "\n"
