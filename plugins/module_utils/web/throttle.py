"""Failures counted per key in memory: after ``limit`` failures within ``window`` seconds a key
is held for ``hold`` seconds (the password page answers 429 meanwhile).

Thread-safe (one lock; waitress runs the app in a few threads) and bounded: at most
``max_keys`` keys are remembered, the least recently touched forgotten first, and each key
keeps at most ``limit`` failure times. The clock is injected (seconds, monotonic) so tests
move time by hand. State is lost at a restart: a restart is rarer than a window.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Iterable


class _Entry:
    __slots__ = ("failures", "held_until")

    def __init__(self, limit: int) -> None:
        self.failures: collections.deque[float] = collections.deque(maxlen=limit)
        self.held_until = 0.0


class Throttle:
    """``limit`` failures within ``window`` seconds hold a key for ``hold`` seconds."""

    def __init__(self, limit: int = 5, window: float = 900, hold: float = 900,
                 max_keys: int = 10000, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window <= 0 or hold <= 0 or max_keys < 1:
            raise ValueError("throttle: limit, window, hold and max_keys must be positive")
        self.limit, self.window, self.hold, self.max_keys = limit, window, hold, max_keys
        self.clock = clock
        self._entries: collections.OrderedDict[str, _Entry] = collections.OrderedDict()
        self._lock = threading.Lock()

    def held(self, keys: Iterable[str]) -> float:
        """Seconds until every one of ``keys`` is free again (0: none is held)."""
        now = self.clock()
        with self._lock:
            waits = [entry.held_until - now for entry in map(self._entries.get, keys)
                     if entry is not None]
        return max([0.0, *waits])

    def failure(self, keys: Iterable[str]) -> None:
        """Count one failure against each of ``keys``; a key reaching the limit is held."""
        now = self.clock()
        with self._lock:
            for key in keys:
                entry = self._touch(key)
                entry.failures.append(now)
                recent = [t for t in entry.failures if now - t < self.window]
                if len(recent) >= self.limit:
                    entry.held_until = now + self.hold
                    entry.failures.clear()

    def success(self, keys: Iterable[str]) -> None:
        """Forget the failures of ``keys`` (not a hold already running)."""
        now = self.clock()
        with self._lock:
            for key in keys:
                entry = self._entries.get(key)
                if entry is not None and entry.held_until <= now:
                    del self._entries[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _touch(self, key: str) -> _Entry:
        entry = self._entries.pop(key, None) or _Entry(self.limit)
        self._entries[key] = entry
        while len(self._entries) > self.max_keys:
            self._entries.popitem(last=False)
        return entry
