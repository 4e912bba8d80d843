"""Feedback rows: one vote per user and exchange, a changed vote replaces the earlier one.

Written with INSERT … ON CONFLICT (exchange_id, user_id) DO UPDATE on SQLite and PostgreSQL
(atomic, also with several writers), delete-then-insert elsewhere. The unique index behind it is
created by migration 0002_feedback_one_vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.records import Feedback
from bot.storage.models import FeedbackRow

KEY = ("exchange_id", "user_id")
REPLACED = ("up", "reason", "channel", "chat_id", "time")


def _values(record: Feedback) -> dict[str, Any]:
    return {"exchange_id": record.exchange_id, "up": record.up, "reason": record.reason, "channel": record.channel,
            "chat_id": record.chat_id, "user_id": record.user_id, "time": record.time}


def upsert_feedback(session: Session, records: Sequence[Feedback]) -> None:
    """Write ``records`` (oldest first): per user and exchange only the latest vote is kept."""
    latest = {(r.exchange_id, r.user_id): r for r in records}  # a later vote in the batch wins
    dialect = session.get_bind().dialect.name
    insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
    for record in latest.values():
        values = _values(record)
        if insert is None:
            session.execute(delete(FeedbackRow).where(FeedbackRow.exchange_id == record.exchange_id,
                                                      FeedbackRow.user_id == record.user_id))
            session.add(FeedbackRow(**values))
            continue
        statement = insert(FeedbackRow).values(**values)
        excluded = statement.excluded
        session.execute(statement.on_conflict_do_update(
            index_elements=list(KEY), set_={name: excluded[name] for name in REPLACED}))
