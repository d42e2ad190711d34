#!/usr/bin/env python3
"""The benchmark of docs/benchmarks.md, in one command: ``make bench``.

    python bench/run.py --sizes 10000 100000 --out build/bench

For each size (people in the province) it generates a province and its reorganisation
(bench/generate.py), and measures validate, plan against the live server, the first apply
(all creates), a no-op apply, the plan and the apply of a 1 % change, twice: the Python
core alone (bench/core.py) and whole ``ansible-playbook`` runs. Each step is a fresh child
process; wall time, CPU time and peak memory come from os.wait4 (bench/measure.py). Side by
side: an empty playbook and the naive way (bench/playbooks/naive.yml) at 100 mailboxes.
Those are the part ``pipeline``; the parts of bench/parts/ measure the mail service itself
(SMTP acceptance, login storms, idle clients...): ``--parts pipeline,smtp`` picks and orders
them (all by default). Everything runs against a mail server of its own (bench/server.py),
stopped at the end. Results: <out>/results.json, <out>/results.md (the tables, printed too),
<out>/logs/.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import parts
from ansible_collections.hungyen.mail.plugins.module_utils.apply.passwords import (
    HashSettings,
    hash_password,
)
from measure import Run, machine, measure
from server import BenchServer
from tables import render

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PYTHON = sys.executable
# Cheap hashing so 100,000 creates take minutes (Argon2id t=1, 8 MiB: the e2e tests' own).
BENCH_HASH = {"time_cost": 1, "memory_kib": 8192, "parallelism": 1}
# Settings whose throughput is measured on their own (inventory/*/group_vars).
HASH_SETTINGS = {"production": (3, 65536, 1), "local inventory": (2, 19456, 1)}
BASELINE_MAILBOXES = 100
EMPTY_RUNS = 3


class Bench:
    """One benchmark run: its server, its scratch directory and what it measured."""

    def __init__(self, out: str) -> None:
        self.out, self.logs = out, os.path.join(out, "logs")
        shutil.rmtree(self.logs, ignore_errors=True)
        os.makedirs(self.logs)
        self.work = tempfile.mkdtemp(prefix="hymail-bench-work-", dir="/tmp")
        self.server = BenchServer(self.work)
        self.env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                        ANSIBLE_NOCOLOR="1", PATH=f"{os.path.dirname(PYTHON)}:"
                                                  f"{os.environ.get('PATH', '')}")
        self.results: dict = {"machine": machine(), "bench_hash": BENCH_HASH, "sizes": {},
                              "parts": {}}
        self.count = 0
        self.start = time.perf_counter()

    def run(self, label: str, command: list[str], required: bool = True) -> Run:
        self.count += 1
        name = f"{self.count:02d}-{label.replace(' ', '-').replace('/', '-')}.log"
        run = measure(label, command, os.path.join(self.logs, name), self.env, ROOT)
        print(f"  {label:<44} wall {run.wall:8.2f} s  CPU {run.cpu:8.2f} s  "
              f"peak {run.peak_mb:7.0f} MB{'' if run.ok else '  FAILED'}", flush=True)
        if required and not run.ok:
            raise RuntimeError(f"{label} failed: see {self.logs}/{name}")
        return run

    def core(self, label: str, step: str, *args: str) -> Run:
        return self.run(label, [PYTHON, os.path.join(ROOT, "bench", "core.py"), step, *args])

    def playbook(self, label: str, playbook: str, extra: dict) -> Run:
        variables = json.dumps(self.server.extra_vars | extra)
        return self.run(label, ["ansible-playbook", "-i", "inventory/local", playbook,
                                "-e", variables])

    def notify(self, label: str) -> Run:
        return self.core(label, "notify", "--state-dir", self.server.state_dir,
                         "--smtp-port", str(self.server.extra_vars["smtp_port"]))

    def hash_time(self, label: str) -> dict:
        """One hash alone (the floor's unit) and many on every CPU (what the CPUs give)."""
        alone = self.core(f"{label}, one", "hash-time", "--count", "300",
                          *_hash_args(BENCH_HASH))
        pool = self.core(f"{label}, every CPU", "hash-rate", "--count", "2000",
                         *_hash_args(BENCH_HASH))
        return {"one_s": alone.answer["median_s"], "pool_per_second": pool.answer["per_second"]}

    def setup(self) -> None:
        print(f"mail server in {self.server.state_dir}", flush=True)
        run = self.playbook("set up the mail server", "playbooks/mailserver.yml", {})
        self.results["setup"] = dataclasses.asdict(run)
        self.server.snapshot()

    def baseline(self) -> None:
        """An empty playbook, and the naive way at 100 mailboxes (creates, then again)."""
        print("baseline", flush=True)
        empty = [self.playbook(f"empty playbook {n + 1}", "bench/playbooks/empty.yml", {})
                 for n in range(EMPTY_RUNS)]
        naive_dir = os.path.join(self.work, "naive")
        os.makedirs(naive_dir)
        hash_file = os.path.join(self.work, "naive.hash")  # never on a command line or in a log
        fd = os.open(hash_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(hash_password("Naive#Baseline-16", HashSettings(**BENCH_HASH)))
        extra = {"naive_dir": naive_dir, "naive_count": BASELINE_MAILBOXES,
                 "postfix_config_dir": os.path.join(self.server.state_dir, "etc", "postfix"),
                 "naive_hash_file": hash_file}
        naive = [self.playbook(label, "bench/playbooks/naive.yml", extra)
                 for label in ("naive apply, 100 creates", "naive apply again, no change")]
        self.results["baseline"] = {
            "mailboxes": BASELINE_MAILBOXES,
            "empty": [dataclasses.asdict(run) for run in empty],
            "empty_median_wall": statistics.median(run.wall for run in empty),
            "naive_create": dataclasses.asdict(naive[0]),
            "naive_noop": dataclasses.asdict(naive[1]),
        }

    def hash_rates(self) -> None:
        """Throughput of the real settings, every CPU at once (not used at 100,000)."""
        print("hashing", flush=True)
        rates = {}
        for name, (time_cost, memory, lanes) in HASH_SETTINGS.items():
            count = 4 * self.results["machine"]["cpus"] * (1 if memory > 32768 else 8)
            run = self.core(f"hash rate, {name}", "hash-rate", "--count", str(count),
                            *_hash_args({"time_cost": time_cost, "memory_kib": memory,
                                         "parallelism": lanes}))
            rates[name] = {"settings": [time_cost, memory, lanes], **run.answer}
        self.results["hash_rates"] = rates

    def size(self, people: int) -> None:
        print(f"province of {people} people", flush=True)
        base, changed, counts = self.generate(people)
        result = {"people": people, "reorganisation": counts}
        result["core"] = self.core_steps(people, base, changed)
        result["mailboxes"] = result["core"]["validate"]["answer"]["mailboxes"]
        result["mailboxes_changed"] = result["core"]["validate_changed"]["answer"]["mailboxes"]
        self.server.reset()
        result["playbook"] = self.playbook_steps(people, base, changed)
        self.server.reset()
        self.results["sizes"][str(people)] = result

    def generate(self, people: int) -> tuple[str, str, dict]:
        base = os.path.join(self.work, str(people), "base")
        changed = os.path.join(self.work, str(people), "changed")
        run = self.run(f"generate {people}", [
            PYTHON, os.path.join(ROOT, "bench", "generate.py"), "--out", base,
            "--changed-out", changed, "--agencies", str(max(1, people // 100)),
            "--people", str(people), "--change", "0.01"])
        with open(run.log, encoding="utf-8") as log:
            counts = log.read().splitlines()[-1].split(": ", 1)[-1]
        return base, changed, {"generator": counts, "wall": run.wall}

    def core_steps(self, people: int, base: str, changed: str) -> dict:
        scratch = os.path.join(self.work, str(people))
        desired = {tree: os.path.join(scratch, f"core-{tree}.json") for tree in ("base", "new")}
        state = ["--state-dir", self.server.state_dir, *_hash_args(BENCH_HASH)]
        applied = ["--plan-file", os.path.join(self.server.state_dir, "applied-plan.json")]
        plan = ["--check", "--plan-file", os.path.join(scratch, "core-plan.json")]
        steps = {}
        steps["validate"] = self.core("core validate", "validate", "--mailboxes", base,
                                      "--desired", desired["base"])
        steps["plan_first"] = self.core("core plan, empty server", "reconcile", "--desired",
                                        desired["base"], *state, *plan)
        hashing = self.hash_time("hash, bench setting")
        steps["apply_first"] = self.core("core first apply", "reconcile", "--desired",
                                         desired["base"], *state, *applied)
        steps["notify_first"] = self.notify("core notices of the first apply")
        steps["apply_noop"] = self.core("core no-op apply", "reconcile", "--desired",
                                        desired["base"], *state, *applied)
        steps["notify_noop"] = self.notify("core notices of the no-op apply")
        steps["validate_changed"] = self.core("core validate, 1 % changed", "validate",
                                              "--mailboxes", changed, "--desired",
                                              desired["new"])
        steps["plan_change"] = self.core("core plan, 1 % change", "reconcile", "--desired",
                                         desired["new"], *state, *plan)
        steps["apply_change"] = self.core("core apply, 1 % change", "reconcile", "--desired",
                                          desired["new"], *state, *applied)
        steps["notify_change"] = self.notify("core notices of the 1 % change")
        return {"hashing": hashing} | {k: dataclasses.asdict(v) for k, v in steps.items()}

    def playbook_steps(self, people: int, base: str, changed: str) -> dict:
        scratch = os.path.join(self.work, str(people))
        extra = {"desired_file": os.path.join(scratch, "playbook-desired.json"),
                 "plan_file": os.path.join(scratch, "playbook-plan.json"),
                 **{f"password_hash_{key}": value for key, value in BENCH_HASH.items()}}
        first, new = extra | {"mailboxes_dir": base}, extra | {"mailboxes_dir": changed}
        steps = {}
        steps["validate"] = self.playbook("validate.yml", "playbooks/validate.yml", first)
        steps["plan_first"] = self.playbook("plan.yml, empty server", "playbooks/plan.yml",
                                            first)
        hashing = self.hash_time("hash, bench setting")
        steps["apply_first"] = self.playbook("apply.yml, first", "playbooks/apply.yml", first)
        steps["apply_noop"] = self.playbook("apply.yml, no-op", "playbooks/apply.yml", first)
        steps["plan_change"] = self.playbook("plan.yml, 1 % change", "playbooks/plan.yml", new)
        steps["apply_change"] = self.playbook("apply.yml, 1 % change", "playbooks/apply.yml",
                                              new)
        result = {"hashing": hashing} | {k: dataclasses.asdict(v) for k, v in steps.items()}
        result["mr_check"] = self.mr_check(people, changed, extra)
        return result

    def mr_check(self, people: int, changed: str, extra: dict) -> dict:
        """The merge-request checks of .gitlab-ci.yml for a one-file change (one phone
        number in one agency file, by its clerk): validate.yml, policy.yml on the base and
        head commits, plan.yml against the server, one after the other; their walls and
        CPU summed, the largest peak; and ``pipeline``, the wall as .gitlab-ci.yml runs them
        (policy beside validate, plan after validate: the longer of policy and validate +
        plan). (``make policy`` first exports the base's tree with git archive: left out.)"""
        repo = os.path.join(self.work, str(people), "mr-repo")
        owner = _one_file_change(changed, repo)
        mailboxes = extra | {"mailboxes_dir": os.path.join(repo, "mailboxes")}
        policy = {"repository": repo, "base": "HEAD~1", "head": "HEAD", "author": owner}
        runs = [self.playbook("MR check: validate.yml", "playbooks/validate.yml", mailboxes),
                self.run("MR check: policy.yml", [
                    "ansible-playbook", "-i", "inventory/local", "playbooks/policy.yml",
                    "-e", json.dumps(policy)]),
                self.playbook("MR check: plan.yml", "playbooks/plan.yml", mailboxes)]
        return {"wall": sum(run.wall for run in runs), "cpu": sum(run.cpu for run in runs),
                "peak_mb": max(run.peak_mb for run in runs),
                "pipeline": max(runs[1].wall, runs[0].wall + runs[2].wall),
                "steps": [dataclasses.asdict(run) for run in runs]}

    def part(self, name: str, module) -> None:
        """One part of bench/parts/ on the emptied server, with the load average around it."""
        print(f"{name}: {module.TITLE}", flush=True)
        self.server.reset()
        context = parts.Context(
            server=self.server, work=os.path.join(self.work, "parts", name), logs=self.logs,
            machine=self.results["machine"], run=self.run, playbook=self.playbook,
            core=self.core, bench_hash=BENCH_HASH)
        os.makedirs(context.work, exist_ok=True)
        load_start, start = os.getloadavg(), time.perf_counter()
        figures, error = None, None
        try:
            figures = module.run(context)
        except (RuntimeError, OSError, subprocess.SubprocessError) as failure:
            error = f"{type(failure).__name__}: {failure}"  # the next parts still run
            print(f"{name}: FAILED: {error}", flush=True)
        self.results["parts"][name] = {
            "title": module.TITLE, "figures": figures, "error": error,
            "load_average_start": [round(x, 2) for x in load_start],
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
            "duration_s": round(time.perf_counter() - start, 1)}

    def finish(self, keep: bool, modules: dict) -> str:
        self.server.stop(keep)
        if not keep:
            shutil.rmtree(self.work, ignore_errors=True)
        self.results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        self.results["machine"]["duration_s"] = round(time.perf_counter() - self.start)
        with open(os.path.join(self.out, "results.json"), "w", encoding="utf-8") as handle:
            json.dump(self.results, handle, ensure_ascii=False, indent=1)
        table = render(self.results) if "pipeline" in modules else ""
        for name, module in modules.items():
            if name != "pipeline" and name in self.results["parts"]:
                part = self.results["parts"][name]
                table += (f"\n## {part['title']}\n\nLoad average at start "
                          f"{' / '.join(map(str, part['load_average_start']))}, at end "
                          f"{' / '.join(map(str, part['load_average_end']))}; took "
                          f"{part['duration_s']} s.\n\n"
                          + (f"**Failed:** {part['error']} (bench/logs/).\n" if part["error"]
                             else f"{module.render(part['figures'])}\n"))
        with open(os.path.join(self.out, "results.md"), "w", encoding="utf-8") as handle:
            handle.write(table)
        return table


def _one_file_change(tree: str, repo: str) -> str:
    """A git repository of ``tree`` (with its CODEOWNERS) and a second commit changing one
    person's phone in one agency file; returns that file's clerk (an owner)."""
    import yaml

    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(tree, os.path.join(repo, "mailboxes"))
    git = ["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    subprocess.run([PYTHON, "-m", "ansible_collections.hungyen.mail.plugins.module_utils."
                    "change_request.policy_cli", "codeowners", "--root", repo, "--write"],
                   check=True, capture_output=True, env=dict(
                       os.environ, PYTHONPATH=os.path.join(ROOT, ".collections")))
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "base"], check=True)
    for name in sorted(os.listdir(os.path.join(repo, "mailboxes"))):
        path = os.path.join(repo, "mailboxes", name)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        data = yaml.safe_load(text)
        phones = [p["phone"] for p in data.get("people") or () if p.get("phone")]
        if name != "sotttt.yml" and phones and data["agency"].get("owners"):
            old = f'phone: "{phones[0]}"'
            if old in text:
                new = f'phone: "{phones[0][:-1]}{(int(phones[0][-1]) + 1) % 10}"'
                with open(path, "w", encoding="utf-8") as handle:
                    handle.write(text.replace(old, new, 1))
                subprocess.run([*git, "commit", "-q", "-a", "-m", "one phone"], check=True)
                return data["agency"]["owners"][0]
    raise RuntimeError("no agency file with a phone to change")


def _hash_args(settings: dict) -> list[str]:
    return ["--time-cost", str(settings["time_cost"]), "--memory-kib",
            str(settings["memory_kib"]), "--parallelism", str(settings["parallelism"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--parts", default="pipeline," + ",".join(parts.available()),
                        help="comma-separated parts, in order: pipeline (the province-size "
                             "steps) and those of bench/parts/ "
                             f"({', '.join(parts.available())}); default: all")
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    parser.add_argument("--keep", action="store_true", help="keep the server and scratch")
    args = parser.parse_args()
    try:
        modules = {name: None if name == "pipeline" else parts.load(name)
                   for name in filter(None, (n.strip() for n in args.parts.split(",")))}
    except ValueError as error:
        parser.error(str(error))
    if not modules:
        parser.error("--parts names no part")
    bench = Bench(os.path.abspath(args.out))
    failed = None
    try:
        bench.setup()
        for name, module in modules.items():
            if module is None:
                bench.baseline()
                bench.hash_rates()
                for people in args.sizes:
                    bench.size(people)
            else:
                bench.part(name, module)
    except (RuntimeError, OSError) as error:
        failed = error
    finally:
        table = bench.finish(args.keep, modules)
    print("\n" + table)
    if failed:
        sys.exit(f"bench: {failed}")
    broken = [name for name, part in bench.results["parts"].items() if part["error"]]
    if broken:
        sys.exit(f"bench: failed parts: {', '.join(broken)} (the others ran)")


if __name__ == "__main__":
    main()
