"""A per-user sliding-window rate limit for incoming messages: in this process's memory, or in the
database when several workers share the users (:class:`SharedLimiter`)."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from enum import Enum
from typing import Protocol

log = logging.getLogger(__name__)


class Verdict(str, Enum):
    ALLOW = "allow"
    WARN = "warn"  # over the limit: tell the user once
    DROP = "drop"  # still over the limit: stay quiet


class SlidingWindowLimiter:
    """At most ``limit`` accepted messages per user in any ``window_s`` seconds.

    Refused messages do not count, so a user who stops is served again as soon as
    the oldest accepted message leaves the window. ``limit <= 0`` disables it.
    """

    MAX_USERS = 10_000  # past this many tracked users, idle ones are forgotten

    def __init__(self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def check(self, key: str) -> Verdict:
        if self.limit <= 0:
            return Verdict.ALLOW
        now = self._clock()
        with self._lock:
            if len(self._hits) > self.MAX_USERS:
                self._forget_idle(now)
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window_s:
                hits.popleft()
            if len(hits) < self.limit:
                hits.append(now)
                self._warned.discard(key)
                return Verdict.ALLOW
            if key in self._warned:
                return Verdict.DROP
            self._warned.add(key)
            return Verdict.WARN

    def _forget_idle(self, now: float) -> None:
        """Drop users with no hit in the window (keeps memory bounded on a long run)."""
        for key in [k for k, h in self._hits.items() if not h or now - h[-1] >= self.window_s]:
            del self._hits[key]
            self._warned.discard(key)


class RateCounter(Protocol):
    """What counts the hits for :class:`SharedLimiter` (``bot.storage.shared.SharedState``)."""

    def rate_hit(self, key: str, limit: int, window_s: float, now: float) -> str: ...


class SharedLimiter:
    """The same limit as :class:`SlidingWindowLimiter`, counted in the database: a user's messages
    count together whichever worker they reach. When the database fails, this worker's own count
    decides (logged), so a database outage never silences the bot."""

    def __init__(self, limit: int, counter: RateCounter, window_s: float = 60.0,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.limit = limit
        self.window_s = window_s
        self.counter = counter
        self._clock = clock
        self.fallback = SlidingWindowLimiter(limit, window_s, clock)

    def check(self, key: str) -> Verdict:
        if self.limit <= 0:
            return Verdict.ALLOW
        try:
            return Verdict(self.counter.rate_hit(key, self.limit, self.window_s, self._clock()))
        except Exception as exc:
            log.warning("rate limit: the shared count failed (%r); this worker counts alone", exc)
            return self.fallback.check(key)


def make_limiter(limit: int, window_s: float = 60.0, counter: RateCounter | None = None) -> SlidingWindowLimiter | SharedLimiter:
    """Shared through COUNTER (the database) when there is one, else in memory."""
    return SharedLimiter(limit, counter, window_s) if counter is not None else SlidingWindowLimiter(limit, window_s)
