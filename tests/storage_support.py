"""Builders shared by the storage tests: records with chosen fields and a store on a temp file."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot.records import Exchange, Feedback, PassageRef
from bot.storage import Store

_ids = itertools.count()
KEY = "test-key"
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=timezone.utc)


def exchange(message: str, *, answered: bool = True, kind: str | None = None, days_ago: float = 0, now: datetime = NOW,
             channel: str = "cli", chat_id: str = "chat-1", user_id: str = "user-1", **fields: Any) -> Exchange:  # fmt: skip
    """An exchange with a fresh id, DAYS_AGO before NOW; answered ones get a passage unless told otherwise."""
    fields.setdefault("passages", [PassageRef("001_article", 3, 7.5)] if answered else [])
    return Exchange(
        exchange_id=f"ex{next(_ids):08d}",
        channel=channel,
        chat_id=chat_id,
        user_id=user_id,
        message=message,
        query=fields.pop("query", message),
        answered=answered,
        kind=kind or ("answer" if answered else "no_answer"),
        time=fields.pop("time", now - timedelta(days=days_ago)),
        **fields,
    )


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def open_store(path: Path, **kwargs: Any) -> Store:
    kwargs.setdefault("id_hash_key", KEY)
    kwargs.setdefault("retry_s", (0.02, 0.2))
    kwargs.setdefault("busy_timeout_s", 0.05)
    return Store(sqlite_url(path), **kwargs)


def filled_store(path: Path, *records: Any, **kwargs: Any) -> Store:
    """A store holding RECORDS (exchanges, feedback, reloads), all written."""
    store = open_store(path, **kwargs)
    for record in records:
        if isinstance(record, Exchange):
            store.record_exchange(record)
        elif isinstance(record, Feedback):
            store.record_feedback(record)
        else:
            store.record_reload(record)
    assert store.flush(timeout=10), "records were not written"
    return store
