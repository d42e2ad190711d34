"""Bulk work at province scale: every CPU through a fork pool, and no cyclic GC meanwhile.

A province is 100,000 small acyclic records. Python's cyclic garbage collector walks every
live object each time enough new ones were made, so building them costs two to three times
more with it on; nothing built here forms cycles, so it is paused, not needed.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os

_TASK = None  # the function of the running fork_map, inherited by the forked workers


def cpus() -> int:
    """The CPUs this process may run on (a container's share, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic garbage collector for the block (reference counting goes on)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def fork_map(function, items: list, workers: int, chunks_per_worker: int = 4) -> list:
    """``[function(item) for item in items]`` on ``workers`` forked processes, in order.

    Fork, not spawn: the workers inherit ``function`` (which may be a closure over compiled
    objects that cannot be pickled), and spawn would re-run an AnsiballZ wrapper. Only the
    answers travel back, pickled.
    """
    global _TASK
    if workers <= 1 or len(items) <= 1:
        return [function(item) for item in items]
    chunk = max(1, len(items) // (workers * chunks_per_worker))
    _TASK = function
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.map(_call, items, chunksize=chunk)
    finally:
        _TASK = None


def _call(item):
    return _TASK(item)
