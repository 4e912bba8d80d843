"""The corpus generation: one number in the database, raised by every successful reload.

Every running process (Telegram, WeChat, the console; one process or several workers on one
PostgreSQL) remembers the generation its index was built at and polls this row
(:class:`bot.reloading.GenerationWatcher`); when the database is ahead it rebuilds its own index.

Written synchronously, not through the store's background queue: the caller needs the new
value. A database fault never reaches the reply path: :func:`current_generation` and
:func:`publish_generation` log a warning and return 0; :func:`read_generation` raises, for the
watcher, which tells an outage from a generation.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.records import utcnow
from bot.storage.faults import describe
from bot.storage.models import GenerationRow

log = logging.getLogger(__name__)

ROW_ID = 1
ATTEMPTS = 3  # an insert that lost the race to another process is retried as an update

__all__ = ["current_generation", "publish_generation", "read_generation"]


def read_generation(store: Any) -> int:
    """The published generation (0 when no reload was ever published). Raises on a database fault."""
    with store.engine.connect() as connection:
        value = connection.execute(select(GenerationRow.value).where(GenerationRow.id == ROW_ID)).scalar()
    return int(value or 0)


def current_generation(store: Any) -> int:
    """The published generation; 0 when none was published, there is no store, or the database fails."""
    if store is None:
        return 0
    try:
        return read_generation(store)
    except Exception as exc:
        log.warning("cannot read the corpus generation (%s)", describe(exc))
        return 0


def _raise(store: Any, origin: str) -> int:
    """One atomic ``value = value + 1`` (the row inserted when missing); the new value."""
    table = GenerationRow.__table__
    now = utcnow()
    for attempt in range(ATTEMPTS):
        try:
            with store.engine.begin() as connection:  # the UPDATE holds the row (PostgreSQL) or the file (SQLite)
                bumped = connection.execute(
                    update(table).where(table.c.id == ROW_ID).values(value=table.c.value + 1, origin=origin[:32], time=now)
                )
                if not bumped.rowcount:
                    connection.execute(insert(table).values(id=ROW_ID, value=1, origin=origin[:32], time=now))
                return int(connection.execute(select(table.c.value).where(table.c.id == ROW_ID)).scalar_one())
        except IntegrityError:  # another process inserted the row first: now it exists, update it
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def publish_generation(store: Any, origin: str) -> int:
    """Raise the generation by one, atomically (safe with concurrent writers on SQLite and PostgreSQL);
    the new value, or 0 when there is no store or the database fails (a warning is logged)."""
    if store is None:
        return 0
    try:
        return _raise(store, origin)
    except Exception as exc:
        log.warning("cannot publish the corpus generation: other processes keep their index (%s)", describe(exc))
        return 0
