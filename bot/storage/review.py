"""The admin's queries over the log: recent exchanges (filters), purge; the review queue re-exported.

Filters live in :mod:`bot.storage.filters`, the review queue in :mod:`bot.storage.queue` and its
handled marks in :mod:`bot.storage.marks`, stats in :mod:`bot.storage.stats`, exports in
:mod:`bot.storage.export`; the queue and the plain-text formatters chat channels call
(``format_stats_text``, ``format_queue_text``) are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import case, delete, false, func, select

from bot.storage.filters import (
    QUESTION_KINDS,
    SOURCES,
    Filters,
    HasSession,
    conditions,
    downvoted,
    is_question,
    low_confidence_clause,
    reason_kind,
    unanswered_clause,
)
from bot.storage.models import ExchangeRow, FeedbackRow, ReloadRow
from bot.storage.queue import QueueItem, reasons_of, review_queue


@dataclass
class LogEntry:
    time: datetime
    exchange_id: str
    channel: str
    chat_id: str
    user_id: str
    message: str
    query: str
    answered: bool
    kind: str
    passages: list[dict[str, Any]]  # [{article, paragraph, score, title, text}]
    best_text: str
    reply_length: int
    latency_ms: float
    error: str
    reason: str = ""  # why the question was declined
    feedback_up: int = 0
    feedback_down: int = 0
    reply: str = ""  # the reply as the user read it
    confidence: float = 0.0  # the answer decision's score (0: not recorded)
    source: str = "user"  # user | ask | eval


def iter_entries(
    store: HasSession, filters: Filters | None = None, *, limit: int | None = 50, oldest_first: bool = False
) -> Iterator[LogEntry]:
    """Exchanges matching FILTERS with their 👍/👎 counts, newest first unless OLDEST_FIRST."""
    votes = (
        select(
            FeedbackRow.exchange_id.label("exchange_id"),
            func.sum(case((FeedbackRow.up == false(), 0), else_=1)).label("up"),
            func.sum(case((FeedbackRow.up == false(), 1), else_=0)).label("down"),
        )
        .group_by(FeedbackRow.exchange_id)
        .subquery()
    )
    order = (ExchangeRow.time.asc(), ExchangeRow.id.asc()) if oldest_first else (ExchangeRow.time.desc(), ExchangeRow.id.desc())
    stmt = (
        select(ExchangeRow, votes.c.up, votes.c.down)
        .outerjoin(votes, votes.c.exchange_id == ExchangeRow.exchange_id)
        .where(*conditions(filters or Filters()))
        .order_by(*order)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.session() as session:
        for row, up, down in session.execute(stmt):
            yield LogEntry(
                time=row.time, exchange_id=row.exchange_id, channel=row.channel, chat_id=row.chat_id,
                user_id=row.user_id, message=row.message, query=row.query, answered=row.answered, kind=row.kind,
                passages=list(row.passages or []), best_text=row.best_text, reply_length=row.reply_length,
                latency_ms=row.latency_ms, error=row.error, reason=row.reason, feedback_up=int(up or 0), feedback_down=int(down or 0),
                reply=row.reply, confidence=row.confidence, source=row.source,
            )  # fmt: skip


def recent(store: HasSession, filters: Filters | None = None, *, limit: int | None = 50) -> list[LogEntry]:
    return list(iter_entries(store, filters, limit=limit))


def purge(store: HasSession, older_than: timedelta, *, now: datetime | None = None) -> dict[str, int]:
    """Delete exchanges, feedback and reload history older than OLDER_THAN; counts per table."""
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    counts: dict[str, int] = {}
    with store.session() as session, session.begin():
        for name, model in (("exchanges", ExchangeRow), ("feedback", FeedbackRow), ("reloads", ReloadRow)):
            result = session.execute(delete(model).where(model.time < cutoff))
            counts[name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return counts


from bot.storage.formatting import format_queue_text, format_stats_text  # noqa: E402  (re-exported)

__all__ = [
    "QUESTION_KINDS", "SOURCES", "Filters", "HasSession", "LogEntry", "QueueItem", "conditions", "downvoted",
    "format_queue_text", "format_stats_text", "is_question", "iter_entries", "low_confidence_clause", "purge",
    "reason_kind", "reasons_of", "recent", "review_queue", "unanswered_clause",
]  # fmt: skip
