"""Usage statistics over the query log (computed in Python: portable across databases).

Real traffic only by default: the admin's ``ask`` and ``eval`` runs are left out (``sources``);
days are counted in the admin's time zone (``tz``, UTC by default).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sqlalchemy import func, select

from bot.storage.models import ExchangeRow, FeedbackRow, ReloadRow
from bot.storage.normalize import question_key
from bot.storage.periods import day_of
from bot.storage.filters import HasSession, is_question


@dataclass
class Counts:
    questions: int = 0
    answered: int = 0
    up: int = 0
    down: int = 0

    @property
    def rate(self) -> float:
        return self.answered / self.questions if self.questions else 0.0


@dataclass
class Stats:
    since: datetime | None = None
    total: Counts = field(default_factory=Counts)
    per_day: dict[date, Counts] = field(default_factory=dict)
    per_channel: dict[str, Counts] = field(default_factory=dict)
    top_questions: list[tuple[str, int]] = field(default_factory=list)
    top_unanswered: list[tuple[str, int]] = field(default_factory=list)
    latency_median_ms: float | None = None
    latency_p95_ms: float | None = None
    exchanges: int = 0  # everything logged, commands included
    last_reload: datetime | None = None
    last_reload_ok: bool | None = None
    sources: tuple[str, ...] | None = ("user",)  # the sources counted; None: every one
    left_out: int = 0  # exchanges of the other sources (ask/eval runs) in the period


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def _top(messages: list[str], n: int) -> list[tuple[str, int]]:
    """The N most asked questions after normalization, each shown in its most frequent wording."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for message in messages:
        groups[question_key(message)][message.strip()] += 1
    ranked = sorted(groups.values(), key=lambda c: sum(c.values()), reverse=True)[:n]
    return [(c.most_common(1)[0][0], sum(c.values())) for c in ranked]


def compute_stats(
    store: HasSession,
    *,
    since: datetime | None = None,
    top: int = 10,
    sources: tuple[str, ...] | None = ("user",),
    tz: tzinfo | None = None,
) -> Stats:
    """Stats of the exchanges since SINCE from SOURCES (None: every source), days in TZ (default UTC)."""
    result = Stats(since=since, sources=sources)
    after = [ExchangeRow.time >= since] if since is not None else []
    counted = [ExchangeRow.source.in_(sources)] if sources is not None else []
    other = select(ExchangeRow.exchange_id).where(ExchangeRow.source.not_in(sources)) if sources is not None else None
    with store.session() as session:
        result.exchanges = int(session.scalar(select(func.count(ExchangeRow.id)).where(*after, *counted)) or 0)
        if sources is not None:
            result.left_out = int(session.scalar(select(func.count(ExchangeRow.id)).where(*after, ExchangeRow.source.not_in(sources))) or 0)
        rows = session.execute(
            select(ExchangeRow.time, ExchangeRow.channel, ExchangeRow.answered, ExchangeRow.message, ExchangeRow.latency_ms)
            .where(is_question(), *after, *counted)
            .order_by(ExchangeRow.time)
        ).all()
        voted = [FeedbackRow.time >= since] if since is not None else []
        if other is not None:
            voted.append(FeedbackRow.exchange_id.not_in(other))
        votes = session.execute(select(FeedbackRow.up, FeedbackRow.channel).where(*voted)).all()
        reload = session.execute(select(ReloadRow.time, ReloadRow.ok).order_by(ReloadRow.time.desc()).limit(1)).first()
    for time, channel, answered, _message, _latency in rows:
        day = day_of(time, tz)
        for counts in (result.total, result.per_day.setdefault(day, Counts()), result.per_channel.setdefault(channel, Counts())):
            counts.questions += 1
            counts.answered += int(answered)
    for up, channel in votes:
        for counts in (result.total, *([result.per_channel.setdefault(channel, Counts())] if channel else [])):
            counts.up += int(up)
            counts.down += int(not up)
    latencies = [float(r.latency_ms) for r in rows]
    result.latency_median_ms = statistics.median(latencies) if latencies else None
    result.latency_p95_ms = percentile(latencies, 0.95)
    result.top_questions = _top([r.message for r in rows], top)
    result.top_unanswered = _top([r.message for r in rows if not r.answered], top)
    if reload is not None:
        result.last_reload, result.last_reload_ok = reload.time, reload.ok
    return result
