#!/usr/bin/env python3
"""One step of the Python core, run by bench/run.py in a fresh process of its own.

    python bench/core.py validate --mailboxes DIR --desired FILE
    python bench/core.py reconcile --desired FILE --state-dir DIR [--check] [--plan-file F]
    python bench/core.py notify --state-dir DIR --smtp-port PORT
    python bench/core.py hash-time --count 200 --time-cost 1 --memory-kib 8192
    python bench/core.py hash-rate --count 8 --time-cost 3 --memory-kib 65536

Each step does what the Ansible module does, minus Ansible: ``run_validation`` is
mailbox_validate's whole body, ``mailbox_reconcile.run`` the reconcile's, ``mail_notify.run``
the sending of the notices that apply.yml ends with. It prints one
JSON line (counts, never a secret) for bench/run.py to read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DOMAIN = "hungyen.gov.vn"


def validate(args) -> dict:
    from ansible_collections.hungyen.mail.plugins.module_utils.declared.validation_run import (
        run_validation,
    )

    result = run_validation({
        "mailboxes_dir": args.mailboxes, "schema_file": os.path.join(ROOT, "schemas",
                                                                     "agency.schema.json"),
        "desired_file": args.desired, "domain": DOMAIN,
    }, workers=args.workers)
    if result["problems"]:
        raise SystemExit(result["summary"][:4000])
    return {"agencies": result["agencies"], "mailboxes": result["mailboxes"]}


def reconcile(args) -> dict:
    from ansible_collections.hungyen.mail.plugins.module_utils.common.lifecycle import (
        NEW_PASSWORD,
    )
    from ansible_collections.hungyen.mail.plugins.modules import mailbox_reconcile

    params = {"desired_file": args.desired, "state_dir": args.state_dir, "domain": DOMAIN,
              "hash_time_cost": args.time_cost, "hash_memory_kib": args.memory_kib,
              "hash_parallelism": args.parallelism, "plan_file": args.plan_file,
              "full_result": False}  # as plan.yml and apply.yml: the plan is in plan_file
    result = mailbox_reconcile.run(params, check_mode=args.check)
    summary = result["summary"]
    return {"changed": result["changed"], "summary": summary,
            "new_passwords": sum(summary.get(action, 0) for action in NEW_PASSWORD)}


def notify(args) -> dict:
    from ansible_collections.hungyen.mail.plugins.modules import mail_notify

    folder = os.path.join(ROOT, "playbooks", "templates", "notify")
    templates = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".j2"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                templates[name] = handle.read()
    result = mail_notify.run({"state_dir": args.state_dir, "domain": DOMAIN,
                              "smtp_port": args.smtp_port, "templates": templates,
                              "operator": {"mailbox": "sotttt"}})  # inventory/local's
    if result["errors"]:
        raise SystemExit("; ".join(result["errors"])[:4000])
    return result["summary"]


def hash_time(args) -> dict:
    """The time of one hash, alone on one CPU: the median of ``count``."""
    from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
        HashSettings,
        hash_password,
    )

    settings = HashSettings(args.time_cost, args.memory_kib, args.parallelism)
    times = []
    for _ in range(args.count):
        start = time.perf_counter()
        hash_password("Bench#Passw0rd-16", settings)
        times.append(time.perf_counter() - start)
    return {"median_s": statistics.median(times), "count": args.count}


def hash_rate(args) -> dict:
    """Hashes per second on every CPU at once (the production setting's throughput)."""
    from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
        HashSettings,
        hash_many,
    )

    settings = HashSettings(args.time_cost, args.memory_kib, args.parallelism)
    start = time.perf_counter()
    hash_many(["Bench#Passw0rd-16"] * args.count, settings)
    elapsed = time.perf_counter() - start
    return {"count": args.count, "seconds": elapsed, "per_second": args.count / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=("validate", "reconcile", "notify", "hash-time",
                                         "hash-rate"))
    parser.add_argument("--mailboxes")
    parser.add_argument("--desired")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--state-dir")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--plan-file")
    parser.add_argument("--smtp-port", type=int)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--time-cost", type=int, default=1)
    parser.add_argument("--memory-kib", type=int, default=8192)
    parser.add_argument("--parallelism", type=int, default=1)
    args = parser.parse_args()
    steps = {"validate": validate, "reconcile": reconcile, "notify": notify,
             "hash-time": hash_time, "hash-rate": hash_rate}
    print(json.dumps(steps[args.step](args), ensure_ascii=False, sort_keys=True))


if __name__ == "__main__":
    main()
