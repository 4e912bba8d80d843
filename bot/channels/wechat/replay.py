"""Replay protection for the WeChat callback: a freshness window and a nonce memory.

WeChat signs ``timestamp`` and ``nonce`` (not, in plain mode, the body), so a
captured signed query string could be reused with any body.  :class:`ReplayGuard`
closes that:

* a timestamp more than ``window_s`` (300 s) away from the server's clock is stale;
* each (timestamp, nonce) pair is remembered until its timestamp leaves the window,
  with the digest of the message it carried; the pair may come again only with the
  same message — WeChat's own retry, which the dispatcher answers from its cache —
  never with another one.

The clock is injectable (tests don't sleep).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import logging
import time
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

WINDOW_S = 300.0


def message_digest(fields: Mapping[str, str]) -> str:
    """What makes a message this message: all its fields, in a canonical order."""
    canonical = json.dumps(sorted(fields.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_timestamp(text: str) -> int | None:
    """WeChat's timestamp: whole seconds since the epoch, ASCII digits only."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


class ReplayGuard:
    def __init__(
        self,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.time,
        max_entries: int = 100_000,
    ) -> None:
        self.window_s = window_s
        self.max_entries = max_entries
        self._clock = clock
        self._seen: dict[tuple[str, str], str] = {}  # (timestamp, nonce) -> message digest
        self._expiry: list[tuple[float, tuple[str, str]]] = []  # heap: when each pair is forgotten

    def __len__(self) -> int:
        return len(self._seen)

    def skew(self, timestamp: str) -> float | None:
        """How far ``timestamp`` is from now, in seconds (None when it is not a timestamp)."""
        ts = parse_timestamp(timestamp)
        return None if ts is None else ts - self._clock()

    def fresh(self, timestamp: str) -> bool:
        skew = self.skew(timestamp)
        return skew is not None and abs(skew) <= self.window_s

    def admit(self, timestamp: str, nonce: str, digest: str) -> bool:
        """True for the first use of the pair, or the same message again; False for another message.

        Call only for a fresh, correctly signed request.
        """
        self._prune()
        key = (timestamp, nonce)
        seen = self._seen.get(key)
        if seen is not None:
            return seen == digest
        self._seen[key] = digest
        heapq.heappush(self._expiry, (int(timestamp) + self.window_s, key))
        if len(self._seen) > self.max_entries:  # only correctly signed requests get here
            _, oldest = heapq.heappop(self._expiry)
            del self._seen[oldest]
            log.warning("wechat: nonce memory over %d pairs, the oldest forgotten early", self.max_entries)
        return True

    def _prune(self) -> None:
        now = self._clock()
        while self._expiry and self._expiry[0][0] < now:
            _, key = heapq.heappop(self._expiry)
            self._seen.pop(key, None)
