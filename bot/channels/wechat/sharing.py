"""The WeChat outbox and answered-once cache shared by several workers through the database.

A late answer computed on worker A is written to the user's outbox row when ready; the user's
"更多" may reach worker B, which delivers it from the row (waiting while it is still pending).
Each put carries a token: an answer that comes after the user moved on (a newer put or a drop,
on any worker) does not overwrite the newer outbox.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from bot.channels.wechat.dedup import SharedOnce, in_database_thread, quietly, to_database_thread
from bot.channels.wechat.dispatch import Outbox
from bot.messages import Reply
from bot.state import shared_state
from bot.state.codec import reply_from_json, reply_to_json

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


class OutboxRows(Protocol):
    """The outbox rows (``bot.storage.shared.SharedState``)."""

    def outbox_put(self, user: str, reply: dict[str, Any] | None, ttl_s: float) -> str: ...

    def outbox_fill(self, user: str, token: str, reply: dict[str, Any]) -> bool: ...

    def outbox_get(self, user: str) -> tuple[str, dict[str, Any] | None] | None: ...

    def outbox_drop(self, user: str, token: str | None = None) -> None: ...


class SharedOutbox(Outbox):
    """:class:`Outbox` whose truth is the database row; this worker's futures serve its own puts."""

    def __init__(self, rows: OutboxRows, ttl_s: float = 1800.0, max_users: int = 10_000, poll_s: float = 0.1) -> None:
        super().__init__(ttl_s, max_users)
        self.rows = rows
        self.poll_s = poll_s
        self._tokens: dict[str, str] = {}  # user → the token of this worker's latest put
        self._remote: dict[str, asyncio.Future[Reply]] = {}  # user → waiting on another worker's answer

    def put(self, user: str, fut: asyncio.Future[Reply]) -> None:
        super().put(user, fut)
        if self._remote.get(user) is fut:  # still another worker's answer: its row stays as it is
            return
        ready = fut.done() and not fut.cancelled() and fut.exception() is None
        try:
            token = self.rows.outbox_put(user, reply_to_json(fut.result()) if ready else None, self.ttl_s)
        except Exception as exc:
            log.warning("wechat: outbox not shared (%r); only this worker can deliver it", exc)
            return
        self._tokens[user] = token
        if not ready:
            fut.add_done_callback(lambda done: self._fill(user, token, done))

    def _fill(self, user: str, token: str, fut: asyncio.Future[Reply]) -> None:
        failed = fut.cancelled() or fut.exception() is not None
        call = (lambda: self.rows.outbox_drop(user, token)) if failed else (
            lambda: self.rows.outbox_fill(user, token, reply_to_json(fut.result())))  # fmt: skip
        to_database_thread(quietly, "the late answer was not shared", call)  # not behind the answers in the default pool

    def get(self, user: str) -> asyncio.Future[Reply] | None:
        try:
            row = self.rows.outbox_get(user)
        except Exception as exc:
            log.warning("wechat: shared outbox unreadable (%r); this worker's own only", exc)
            return super().get(user)
        if row is None:
            super().drop(user)
            return None
        token, reply = row
        if self._tokens.get(user) == token:
            mine = super().get(user)
            if mine is not None:
                return mine
        loop = asyncio.get_running_loop()
        if reply is not None:
            fut: asyncio.Future[Reply] = loop.create_future()
            fut.set_result(reply_from_json(reply))
            return fut
        task = self._remote[user] = loop.create_task(self._wait(user, token))  # pending on another worker
        return task

    async def _wait(self, user: str, token: str) -> Reply:
        while True:
            row = await in_database_thread(self.rows.outbox_get, user)
            if row is None or row[0] != token:
                raise LookupError("the pending answer was replaced or dropped")
            if row[1] is not None:
                return reply_from_json(row[1])
            await asyncio.sleep(self.poll_s)

    def drop(self, user: str) -> None:
        super().drop(user)
        self._tokens.pop(user, None)
        self._remote.pop(user, None)
        try:
            self.rows.outbox_drop(user)
        except Exception as exc:
            log.warning("wechat: shared outbox not emptied (%r)", exc)


def shared_parts(services: Services, once_ttl_s: float) -> tuple[SharedOnce | None, SharedOutbox | None]:
    """The answered-once cache and outbox in the services' database; (None, None) without one."""
    shared = shared_state(getattr(services, "store", None))  # test doubles may have no store
    if shared is None:
        return None, None
    return SharedOnce(shared, ttl_s=once_ttl_s), SharedOutbox(shared)
