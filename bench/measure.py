"""Measure one child process: wall time, CPU time and peak memory, from os.wait4.

The rusage wait4 returns covers the child and every descendant it waited for (Ansible's
workers and module processes, the hashing pool, postmap), but not daemons it started.
``ru_maxrss`` is the peak resident set of the largest of those processes, not their sum.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import time


@dataclasses.dataclass
class Run:
    """One measured step."""

    label: str
    command: list[str]
    wall: float
    cpu: float  # user + system
    peak_mb: float
    returncode: int
    answer: dict | None = None  # the JSON line a core step prints
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def measure(label: str, command: list[str], log_path: str, env: dict | None = None,
            cwd: str | None = None) -> Run:
    """Run ``command`` to completion with its output in ``log_path``; never raises on failure."""
    with open(log_path, "w", encoding="utf-8") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                   cwd=cwd, stdin=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    run = Run(label, command, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
              process.returncode, log=log_path)
    run.answer = _last_json_line(log_path)
    return run


def _last_json_line(path: str) -> dict | None:
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = [line for line in handle.read().splitlines() if line.startswith("{")]
    try:
        return json.loads(lines[-1]) if lines else None
    except ValueError:
        return None


def machine() -> dict:
    """What the figures were measured on."""
    model = ""
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle
                          if line.startswith("model name")), "")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": len(os.sched_getaffinity(0)), "cpu_model": model,
        "memory_gib": round(memory, 1), "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
