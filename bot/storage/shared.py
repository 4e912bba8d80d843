"""The state several workers share, in the database (SQLite for one machine, PostgreSQL for many).

:class:`SharedState` reads and writes JSON payloads; it knows no conversation, no platform.
Keys naming a chat or a user are stored as their keyed hash (``mask``), like the query log's.
Every write that must not race another worker starts with a write to the row (an insert that
does nothing when the row exists), so the row is locked before it is read: a row lock on
PostgreSQL (``SELECT … FOR UPDATE``), the database write lock on SQLite.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.state_models import ChatStateRow, OnceRow, OutboxRow, RateRow

CLEAN_EVERY = 200  # writes between two sweeps of expired rows
PAUSE_S = 5.0  # after a database error, calls fail at once for this long (nothing waits on a dead server)
F = TypeVar("F", bound=Callable[..., Any])


class Unavailable(RuntimeError):
    """The database failed a moment ago: not asked again until the pause is over."""


def _paused(method: F) -> F:
    """Fail fast during the pause after an error; an error starts a pause. Callers fall back."""

    @functools.wraps(method)
    def call(self: SharedState, *args: Any, **kwargs: Any) -> Any:
        if self.clock() < self.paused_until:
            raise Unavailable("the database failed less than a few seconds ago")
        try:
            return method(self, *args, **kwargs)
        except Exception:
            self.paused_until = self.clock() + PAUSE_S
            raise

    return call  # type: ignore[return-value]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _insert(session: Session, model: type, values: dict[str, Any], keys: list[str], replace: list[str] | None) -> int:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET replace (DO NOTHING without): 1 when a row was written."""
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
    statement = insert(model).values(**values)
    if replace:
        statement = statement.on_conflict_do_update(index_elements=keys, set_={k: statement.excluded[k] for k in replace})
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT run through SQLAlchemy
    returned = session.connection().execute(statement.returning(*[getattr(model, k) for k in keys]))
    return len(returned.all())


class SharedState:
    """Chat states, answered-once replies, outboxes and rate limits over one SQLAlchemy engine."""

    def __init__(self, engine: Engine, mask: Callable[[str], str] = str, clock: Callable[[], float] = time.monotonic) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError(f"shared state needs SQLite or PostgreSQL, not {engine.dialect.name}")
        self.engine = engine
        self.mask = mask
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self._writes = 0
        self.clock = clock
        self.paused_until = 0.0

    def _sweep(self, session: Session) -> None:
        """Now and then, delete the rows whose time is over (each reader ignores them anyway)."""
        self._writes += 1
        if self._writes % CLEAN_EVERY:
            return
        now = _now()
        for model in (ChatStateRow, OnceRow, OutboxRow):
            session.execute(delete(model).where(model.expires < now))  # type: ignore[attr-defined]

    # -- conversation state ---------------------------------------------------------
    @_paused
    def load_chat(self, channel: str, chat_id: str) -> dict[str, Any] | None:
        with self.sessions() as session:
            row = session.get(ChatStateRow, (channel, self.mask(chat_id)))
            return dict(row.data) if row is not None and row.expires > _now() else None

    @_paused
    def save_chat(self, channel: str, chat_id: str, data: dict[str, Any], ttl_s: float) -> None:
        values = {"channel": channel, "chat_id": self.mask(chat_id), "data": data,
                  "expires": _now() + timedelta(seconds=ttl_s)}  # fmt: skip
        with self.sessions.begin() as session:
            _insert(session, ChatStateRow, values, ["channel", "chat_id"], ["data", "expires"])
            self._sweep(session)

    @_paused
    def drop_chat(self, channel: str, chat_id: str) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(ChatStateRow).where(ChatStateRow.channel == channel,
                                                       ChatStateRow.chat_id == self.mask(chat_id)))  # fmt: skip

    # -- answered once --------------------------------------------------------------
    @_paused
    def claim(self, key: str, ttl_s: float) -> bool:
        """True when this caller is the first to answer KEY (an expired claim is taken over)."""
        key = self.mask(key)
        with self.sessions.begin() as session:
            session.execute(delete(OnceRow).where(OnceRow.key == key, OnceRow.expires < _now()))
            return _insert(session, OnceRow, {"key": key, "done": False, "expires": _now() + timedelta(seconds=ttl_s)},
                           ["key"], None) == 1  # fmt: skip

    @_paused
    def answered(self, key: str) -> tuple[bool, str | None] | None:
        """(done, reply) of KEY's claim; None when nobody holds it (never claimed, released, expired)."""
        with self.sessions() as session:
            row = session.get(OnceRow, self.mask(key))
            if row is None or row.expires < _now():
                return None
            return row.done, row.reply

    @_paused
    def finish(self, key: str, reply: str | None) -> None:
        with self.sessions.begin() as session:
            session.execute(update(OnceRow).where(OnceRow.key == self.mask(key)).values(done=True, reply=reply))
            self._sweep(session)

    @_paused
    def release(self, key: str) -> None:
        """Forget an unfinished claim (the answer failed): a retry may try again."""
        with self.sessions.begin() as session:
            session.execute(delete(OnceRow).where(OnceRow.key == self.mask(key), OnceRow.done.is_(False)))

    # -- outbox ---------------------------------------------------------------------
    @_paused
    def outbox_put(self, user: str, reply: dict[str, Any] | None, ttl_s: float) -> str:
        """Put REPLY (None: still computing) in USER's outbox; the token :meth:`outbox_fill` needs."""
        token = uuid.uuid4().hex
        values = {"user_id": self.mask(user), "token": token, "reply": reply, "expires": _now() + timedelta(seconds=ttl_s)}
        with self.sessions.begin() as session:
            _insert(session, OutboxRow, values, ["user_id"], ["token", "reply", "expires"])
            self._sweep(session)
        return token

    @_paused
    def outbox_fill(self, user: str, token: str, reply: dict[str, Any]) -> bool:
        """The pending answer put with TOKEN is ready; False when a later put or a drop replaced it."""
        with self.sessions.begin() as session:
            done = session.execute(update(OutboxRow).where(OutboxRow.user_id == self.mask(user), OutboxRow.token == token)
                                   .values(reply=reply))  # fmt: skip
            return bool(done.rowcount)  # type: ignore[attr-defined]

    @_paused
    def outbox_get(self, user: str) -> tuple[str, dict[str, Any] | None] | None:
        """(token, reply or None while pending) of USER's outbox; None when empty or expired."""
        with self.sessions() as session:
            row = session.get(OutboxRow, self.mask(user))
            if row is None or row.expires < _now():
                return None
            return row.token, (dict(row.reply) if row.reply is not None else None)

    @_paused
    def outbox_drop(self, user: str, token: str | None = None) -> None:
        """Empty USER's outbox (only if it still holds TOKEN's put, when given)."""
        where = [OutboxRow.user_id == self.mask(user)] + ([OutboxRow.token == token] if token else [])
        with self.sessions.begin() as session:
            session.execute(delete(OutboxRow).where(*where))

    # -- rate limits ----------------------------------------------------------------
    @_paused
    def rate_hit(self, key: str, limit: int, window_s: float, now: float) -> str:
        """One message from KEY at NOW (epoch seconds): "allow" (counted), "warn" (over the limit,
        first time) or "drop" (still over). Refused messages do not count."""
        key = self.mask(key)
        with self.sessions.begin() as session:
            _insert(session, RateRow, {"key": key, "hits": [], "warned": False, "last": now}, ["key"], None)
            row = session.scalars(select(RateRow).where(RateRow.key == key).with_for_update()).one()
            hits = [t for t in row.hits if now - t < window_s]
            if len(hits) < limit:
                row.hits, row.warned, row.last = [*hits, now], False, now
                verdict = "allow"
            else:
                verdict = "drop" if row.warned else "warn"
                row.hits, row.warned = hits, True
            if self._writes % CLEAN_EVERY == 0:
                session.execute(delete(RateRow).where(RateRow.last < now - window_s, RateRow.key != key))
            self._writes += 1
            return verdict
