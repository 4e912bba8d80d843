"""The engine's records as table rows."""

from __future__ import annotations

from bot.records import Exchange, Feedback
from bot.storage.models import Base, ExchangeRow, FeedbackRow, ReloadRow
from bot.storage.spool import Record


def to_row(record: Record) -> Base:
    if isinstance(record, Exchange):
        passages = [
            {"article": p.article, "paragraph": p.paragraph, "score": p.score, "title": p.title, "text": p.text}
            for p in record.passages
        ]
        return ExchangeRow(
            exchange_id=record.exchange_id, time=record.time, channel=record.channel,
            chat_id=record.chat_id, user_id=record.user_id, message=record.message, query=record.query,
            answered=record.answered, kind=record.kind, passages=passages, best_text=record.best_text,
            reply_length=record.reply_length, latency_ms=record.latency_ms, error=record.error, reason=record.reason,
            reply=record.reply, confidence=record.confidence, source=record.source,
        )  # fmt: skip
    if isinstance(record, Feedback):
        return FeedbackRow(
            exchange_id=record.exchange_id, up=record.up, reason=record.reason, channel=record.channel,
            chat_id=record.chat_id, user_id=record.user_id, time=record.time,
        )  # fmt: skip
    return ReloadRow(
        time=record.time, who=record.who, origin=record.origin, ok=record.ok, articles=record.articles,
        passages=record.passages, added=list(record.added), changed=list(record.changed),
        removed=list(record.removed), skipped=[list(s) for s in record.skipped],
        duration_s=record.duration_s, error=record.error,
    )  # fmt: skip
