"""One reload reaches every running process: the corpus generation and the thread that watches it.

A reload started anywhere (the console, ``python -m bot reload``, Telegram ``/reload``) rebuilds
that process's index and, when it succeeds, raises the generation in the database
(:mod:`bot.storage.generation`). Every ``serve`` process runs a :class:`GenerationWatcher` that
polls the generation every ``RELOAD_POLL_S`` seconds and rebuilds its own index when the
database is ahead (or behind: a database that was reset); the old index answers until the new
one is swapped in, atomically (:meth:`bot.engine.Engine.reload`).

Polling rather than PostgreSQL's LISTEN/NOTIFY: it works the same on a SQLite file shared by
several processes and on PostgreSQL, needs no long-lived connection per worker, and a missed
notification cannot leave a worker behind; a read of one row every two seconds costs nothing.

A process remembers the generation it read *before* rebuilding, so a reload published by
another process while it was building is seen by the next poll and built again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from bot.records import ReloadReport
from bot.storage.faults import describe
from bot.storage.generation import publish_generation, read_generation

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300.0  # a failing refresh is retried, less and less often


class ProcessGeneration:
    """The corpus generation this process's index answers from; serialises its rebuilds."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.value = self._read(quiet=True) or 0  # at start the store has already said what is wrong
        self.lock = threading.Lock()

    def _read(self, *, quiet: bool = False) -> int | None:
        if self.store is None:
            return None
        try:
            return read_generation(self.store)
        except Exception as exc:
            log.log(logging.DEBUG if quiet else logging.WARNING, "cannot read the corpus generation (%s)", describe(exc))
            return None

    def rebuild(self, build: Callable[[], ReloadReport], *, publish: bool, origin: str) -> ReloadReport:
        """Run BUILD (an index rebuild); when it succeeds, publish a new generation (PUBLISH) or
        adopt the one read before building."""
        with self.lock:
            before = self._read()
            report = build()
            if not report.ok:
                return report
            if publish and self.store is not None:
                new = publish_generation(self.store, origin)
                # ours is the only reload since BEFORE: the index is at NEW; else one more refresh follows
                if before is not None and new == before + 1:
                    self.value = new
                elif before is not None:
                    self.value = before
            elif before is not None:
                self.value = before
            return report


    def announce(self, origin: str) -> int | None:
        """Publish a new generation without rebuilding (something besides the corpus changed, e.g.
        the answer corrections); this process adopts it when it was up to date. None without a database."""
        if self.store is None:
            return None
        with self.lock:
            before = self._read()
            new = publish_generation(self.store, origin)
            if before is not None and new == before + 1 and self.value == before:
                self.value = new
            return new


class Refreshable(Protocol):
    store: Any
    generation: ProcessGeneration

    def refresh(self, origin: str = "sync") -> ReloadReport: ...


class GenerationWatcher:
    """A daemon thread: every INTERVAL_S, rebuild SERVICES' index when the database's generation differs."""

    def __init__(self, services: Refreshable, interval_s: float = 2.0) -> None:
        self.services = services
        self.interval_s = max(0.05, float(interval_s))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = ""  # the last fault reported, "" while reads succeed
        self._failures = 0  # refreshes failed in a row (backoff)
        self._next_try = 0.0  # monotonic time before which a failed refresh is not retried

    def start(self) -> GenerationWatcher:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="generation-watcher", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling; waits for a rebuild in progress (bounded by TIMEOUT)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.check()
            except Exception:  # never let the watcher die: the next poll tries again
                log.exception("corpus generation check failed")

    def check(self, now: float | None = None) -> ReloadReport | None:
        """One poll: the refresh's report when the index was rebuilt, else None."""
        now = time.monotonic() if now is None else now
        try:
            published = read_generation(self.services.store)
        except Exception as exc:
            if self._failing != describe(exc):
                log.warning("cannot read the corpus generation; answering from the current index (%s)", describe(exc))
                self._failing = describe(exc)
            return None
        if self._failing:
            log.info("corpus generation readable again")
            self._failing = ""
        if published == self.services.generation.value or now < self._next_try:
            return None
        log.info("corpus generation %s published (this process: %s): rebuilding the index",
                 published, self.services.generation.value)  # fmt: skip
        report = self.services.refresh()
        if report.ok:
            self._failures, self._next_try = 0, 0.0
        else:
            self._failures += 1
            self._next_try = now + min(MAX_BACKOFF_S, self.interval_s * 2**self._failures)
            log.warning("refresh to generation %s failed (%s); the previous index keeps answering", published, report.error)
        return report
