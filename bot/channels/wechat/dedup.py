"""Answer each WeChat message once, however often WeChat retries it.

WeChat retries a message it got no answer to within 5 seconds (same MsgId, up to
three times).  A MsgId is only unique per sender, so the key is (FromUserName,
MsgId); events, which have no MsgId, are keyed FromUserName + CreateTime as
WeChat's documentation recommends.  :class:`OnceCache` runs the work for a key once: a retry that
arrives while the first attempt is still computing waits for that same result,
and a retry that arrives later gets the cached result.  Results are kept for a
bounded time and number of keys.  A failed computation is forgotten so that a
retry may try again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, Optional, Protocol, TypeVar

log = logging.getLogger(__name__)

# Shared-state calls (claims, the outbox) run in a few threads of their own: in the default pool they
# would queue behind the engine's answers, and a retry's claim would wait for every question before it.
_DATABASE_CALLS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="wechat-shared-state")


def to_database_thread(func: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
    """FUNC(*ARGS) started in the shared-state threads (from the event loop); its future."""
    return asyncio.get_running_loop().run_in_executor(_DATABASE_CALLS, func, *args)


async def in_database_thread(func: Callable[..., Any], *args: Any) -> Any:
    """FUNC(*ARGS) in the shared-state threads."""
    return await to_database_thread(func, *args)


def quietly(failure: str, call: Callable[..., Any], *args: Any) -> None:
    """CALL(*ARGS) whose failure is logged ("wechat: FAILURE (…)"), not raised: a record another
    worker may read, never needed to answer here."""
    try:
        call(*args)
    except Exception as exc:
        log.warning("wechat: %s (%r)", failure, exc)


T = TypeVar("T")


MessageKey = tuple[str, str, str]


def message_key(fields: Mapping[str, str]) -> MessageKey:
    """FromUserName + MsgId for messages; FromUserName + CreateTime for events (no MsgId)."""
    user = fields.get("FromUserName", "").strip()
    msg_id = fields.get("MsgId", "").strip()
    if msg_id:
        return ("msg", user, msg_id)
    return ("evt", user, fields.get("CreateTime", "").strip())


class OnceCache(Generic[T]):
    def __init__(
        self,
        ttl_s: float = 300.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, asyncio.Future[T]]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def _prune(self) -> None:
        now = self._clock()
        while self._entries:
            key, (born, fut) = next(iter(self._entries.items()))
            expired = now - born > self.ttl_s and fut.done()
            if not expired and len(self._entries) <= self.max_entries:
                break
            if not fut.done():  # over capacity but still computing: keep it, stop pruning
                break
            del self._entries[key]

    async def run(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        """The result of ``compute()`` for ``key``, computed at most once while cached.

        The computation runs as its own task: a caller that goes away (WeChat
        dropped the connection) does not cancel it for the retries waiting on it.
        """
        self._prune()
        entry = self._entries.get(key)
        if entry is None:
            task = asyncio.ensure_future(compute())
            entry = (self._clock(), task)
            self._entries[key] = entry
            task.add_done_callback(lambda t: self._forget_failed(key, t))
        return await asyncio.shield(entry[1])

    def _forget_failed(self, key: Hashable, task: asyncio.Future[T]) -> None:
        if task.cancelled() or task.exception() is not None:
            entry = self._entries.get(key)
            if entry is not None and entry[1] is task:
                del self._entries[key]


class Claims(Protocol):
    """Who answers a message, across workers (``bot.storage.shared.SharedState``)."""

    def claim(self, key: str, ttl_s: float) -> bool: ...

    def answered(self, key: str) -> tuple[bool, str | None] | None: ...

    def finish(self, key: str, reply: str | None) -> None: ...

    def release(self, key: str) -> None: ...


_NOT_STORED = "the answered-once record was not stored"


class SharedOnce(OnceCache[Optional[str]]):
    """:class:`OnceCache` across workers: the first worker to claim a message in the database
    answers it and stores the reply; a retry reaching another worker waits for that reply (up to
    ``wait_s``) instead of answering again. A claim whose worker failed is released, so a retry
    answers. With the database away, each worker answers on its own (logged), as with one worker."""

    def __init__(self, claims: Claims, ttl_s: float = 300.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic, poll_s: float = 0.1, wait_s: float = 15.0) -> None:  # fmt: skip
        super().__init__(ttl_s, max_entries, clock)
        self.claims = claims
        self.poll_s = poll_s
        self.wait_s = wait_s

    async def run(self, key: Hashable, compute: Callable[[], Awaitable[str | None]]) -> str | None:
        return await super().run(key, lambda: self._once(json.dumps(key, ensure_ascii=False), compute))

    async def _once(self, name: str, compute: Callable[[], Awaitable[str | None]]) -> str | None:
        give_up = time.monotonic() + self.wait_s
        while True:
            try:
                won = await in_database_thread(self.claims.claim, name, self.ttl_s)
            except Exception as exc:
                log.warning("wechat: cannot claim a message in the database (%r); answering it here", exc)
                return await compute()
            if won:
                return await self._answer(name, compute)
            while True:  # another worker is answering it
                try:
                    seen = await in_database_thread(self.claims.answered, name)
                except Exception as exc:
                    log.warning("wechat: cannot read another worker's reply (%r); answering it here", exc)
                    return await compute()
                if seen is None:
                    break  # released (its answer failed) or expired: claim it again
                if seen[0]:
                    return seen[1]
                if time.monotonic() > give_up:
                    raise TimeoutError("another worker's answer did not come in time")
                await asyncio.sleep(self.poll_s)

    async def _answer(self, name: str, compute: Callable[[], Awaitable[str | None]]) -> str | None:
        try:
            result = await compute()
        except BaseException:
            await in_database_thread(quietly, _NOT_STORED, self.claims.release, name)
            raise
        await in_database_thread(quietly, _NOT_STORED, self.claims.finish, name, result)
        return result
