"""The admin console's overview: questions per day and per channel, answered rate, 👍/👎, latency.

Real traffic only (``source == "user"``: ``ask``/``eval`` runs are left out); days are the
admin's days (``tz``), so a question asked at 01:00 in Jinan counts on Jinan's date.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo

from sqlalchemy import select

from bot.storage.models import ExchangeRow, FeedbackRow
from bot.storage.review import HasSession, is_question
from bot.storage.stats import Counts, percentile


@dataclass
class DayRow:
    day: date
    counts: Counts = field(default_factory=Counts)
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


@dataclass
class Overview:
    since: datetime | None
    until: datetime | None
    total: Counts = field(default_factory=Counts)
    days: list[DayRow] = field(default_factory=list)  # every day from the first to the last, gaps included
    channels: dict[str, Counts] = field(default_factory=dict)  # most questions first
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def compute_overview(
    store: HasSession, *, tz: tzinfo, since: datetime | None = None, until: datetime | None = None
) -> Overview:
    """Counts of the questions users asked between SINCE and UNTIL (open ends: everything)."""
    result = Overview(since=since, until=until)
    where = [is_question(), ExchangeRow.source == "user"]
    if since is not None:
        where.append(ExchangeRow.time >= since)
    if until is not None:
        where.append(ExchangeRow.time < until)
    with store.session() as session:
        rows = session.execute(
            select(ExchangeRow.time, ExchangeRow.channel, ExchangeRow.answered, ExchangeRow.latency_ms).where(*where)
        ).all()
        asked = select(ExchangeRow.exchange_id).where(*where)
        votes = session.execute(
            select(FeedbackRow.up, ExchangeRow.time, ExchangeRow.channel)
            .join(ExchangeRow, ExchangeRow.exchange_id == FeedbackRow.exchange_id)
            .where(FeedbackRow.exchange_id.in_(asked))
        ).all()
    per_day: dict[date, DayRow] = {}
    latencies: dict[date, list[float]] = {}
    for time, channel, answered, latency in rows:
        day = time.astimezone(tz).date()
        row = per_day.setdefault(day, DayRow(day))
        for counts in (result.total, row.counts, result.channels.setdefault(channel, Counts())):
            counts.questions += 1
            counts.answered += int(answered)
        latencies.setdefault(day, []).append(float(latency))
    for up, time, channel in votes:  # a vote counts on the day of the answer it judges
        day = time.astimezone(tz).date()
        row = per_day.setdefault(day, DayRow(day))
        for counts in (result.total, row.counts, result.channels.setdefault(channel, Counts())):
            counts.up += int(up)
            counts.down += int(not up)
    if per_day:
        result.days = [per_day.get(day) or DayRow(day) for day in _days(min(per_day), max(per_day))]
    for row in result.days:
        values = latencies.get(row.day, [])
        row.latency_p50_ms, row.latency_p95_ms = percentile(values, 0.5), percentile(values, 0.95)
    every = [value for values in latencies.values() for value in values]
    result.latency_p50_ms, result.latency_p95_ms = percentile(every, 0.5), percentile(every, 0.95)
    result.channels = dict(sorted(result.channels.items(), key=lambda kv: (-kv[1].questions, kv[0])))
    return result


def channels_seen(store: HasSession) -> list[str]:
    """Every channel the log has an exchange from, by name."""
    with store.session() as session:
        return sorted(session.scalars(select(ExchangeRow.channel).distinct()))
