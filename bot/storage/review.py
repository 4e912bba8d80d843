"""The admin's queries over the log: recent exchanges, the review queue, purge.

Stats live in :mod:`bot.storage.stats`, exports in :mod:`bot.storage.export`; the plain-text
formatters chat channels call (``format_stats_text``, ``format_queue_text``) are re-exported here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, and_, case, delete, false, func, or_, select
from sqlalchemy.orm import Session

from bot.storage.models import ExchangeRow, FeedbackRow, ReloadRow
from bot.storage.normalize import question_key, to_simplified

QUESTION_KINDS = ("answer", "no_answer")


class HasSession(Protocol):
    def session(self) -> Session: ...


@dataclass
class Filters:
    unanswered: bool = False
    negative: bool = False
    since: datetime | None = None
    channel: str | None = None
    search: str | None = None


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
    passages: list[dict[str, Any]]
    best_text: str
    reply_length: int
    latency_ms: float
    error: str
    reason: str = ""  # why the question was declined
    feedback_up: int = 0
    feedback_down: int = 0


@dataclass
class QueueItem:
    """One question of the review queue: every variant of it, unanswered or down-voted."""

    question: str  # the most frequent wording
    key: str
    count: int = 0
    unanswered: int = 0
    negative: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    best_text: str = ""  # the best passage the bot had
    best_article: str = ""
    best_score: float = 0.0
    channels: list[str] = field(default_factory=list)
    variants: list[str] = field(default_factory=list)
    reasons: list[tuple[str, int]] = field(default_factory=list)  # why it was declined, most frequent first

    @property
    def reason(self) -> str:
        """The most frequent decline reason ("" when none was recorded)."""
        return self.reasons[0][0] if self.reasons else ""


def reason_kind(reason: str) -> str:
    """A reason without its particulars: "unknown name: 青岛市" → "unknown name",
    "weak match (coverage 0.43)" → "weak match"; what ``logs unanswered`` groups by."""
    return reason.split(":", 1)[0].split(" (", 1)[0].strip()


def is_question() -> ColumnElement[bool]:
    """Exchanges that asked something (not help, more, article pages, empty input) — or failed."""
    return or_(ExchangeRow.kind.in_(QUESTION_KINDS), ExchangeRow.error != "")


def unanswered_clause() -> ColumnElement[bool]:
    return and_(is_question(), ExchangeRow.answered == false())


def downvoted() -> Select[tuple[str]]:
    return select(FeedbackRow.exchange_id).where(FeedbackRow.up == false())


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def conditions(filters: Filters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.unanswered:
        where.append(unanswered_clause())
    if filters.negative:
        where.append(ExchangeRow.exchange_id.in_(downvoted()))
    if filters.since is not None:
        where.append(ExchangeRow.time >= filters.since)
    if filters.channel:
        where.append(ExchangeRow.channel == filters.channel)
    if filters.search:
        patterns = {_like(filters.search), _like(to_simplified(filters.search))}
        where.append(or_(*(col.ilike(p, escape="\\") for p in patterns for col in (ExchangeRow.message, ExchangeRow.query))))
    return where


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
            )  # fmt: skip


def recent(store: HasSession, filters: Filters | None = None, *, limit: int | None = 50) -> list[LogEntry]:
    return list(iter_entries(store, filters, limit=limit))


def _top_score(passages: list[dict[str, Any]]) -> float:
    return max((float(p.get("score", 0.0)) for p in passages), default=0.0)


def review_queue(
    store: HasSession, *, since: datetime | None = None, channel: str | None = None, limit: int | None = None
) -> list[QueueItem]:
    """Unanswered and down-voted questions grouped by :func:`question_key`, most frequent first."""
    where: list[ColumnElement[bool]] = [or_(unanswered_clause(), ExchangeRow.exchange_id.in_(downvoted()))]
    where += conditions(Filters(since=since, channel=channel))
    stmt = select(ExchangeRow).where(*where).order_by(ExchangeRow.time.asc(), ExchangeRow.id.asc())
    negatives: set[str] = set()
    groups: dict[str, QueueItem] = {}
    wordings: dict[str, Counter[str]] = {}
    reasons: dict[str, Counter[str]] = {}
    with store.session() as session:
        rows = session.scalars(stmt).all()
        listed = select(ExchangeRow.exchange_id).where(*where)
        negatives.update(session.scalars(downvoted().where(FeedbackRow.exchange_id.in_(listed))))
    for row in rows:
        key = question_key(row.message)
        item = groups.setdefault(key, QueueItem(question=row.message.strip(), key=key, first_seen=row.time))
        wordings.setdefault(key, Counter())[row.message.strip()] += 1
        item.count += 1
        item.unanswered += int(not row.answered)
        item.negative += int(row.exchange_id in negatives)
        if row.reason and not row.answered:
            reasons.setdefault(key, Counter())[row.reason] += 1
        item.last_seen = row.time
        if row.channel not in item.channels:
            item.channels.append(row.channel)
        score = _top_score(row.passages or [])
        if row.best_text and (not item.best_text or score >= item.best_score):
            item.best_text, item.best_score = row.best_text, score
            item.best_article = str((row.passages or [{}])[0].get("article", ""))
    for key, item in groups.items():
        ranked = wordings[key].most_common()
        item.question = ranked[0][0]
        item.variants = [w for w, _ in ranked]
        item.reasons = reasons[key].most_common() if key in reasons else []
    items = sorted(groups.values(), key=lambda i: (i.count, i.last_seen or datetime.min.replace(tzinfo=timezone.utc)), reverse=True)
    return items[:limit] if limit is not None else items


def reasons_of(items: list[QueueItem]) -> list[tuple[str, int, int]]:
    """The queue's declines by kind of reason: (kind, declines, questions), most declines first."""
    declines: Counter[str] = Counter()
    questions: Counter[str] = Counter()
    for item in items:
        kinds: Counter[str] = Counter()
        for reason, count in item.reasons:
            kinds[reason_kind(reason)] += count
        declines.update(kinds)
        questions.update(kinds.keys())
    return [(kind, count, questions[kind]) for kind, count in declines.most_common()]


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
    "Filters", "LogEntry", "QueueItem", "format_queue_text", "format_stats_text", "iter_entries",
    "purge", "reason_kind", "reasons_of", "recent", "review_queue",
]  # fmt: skip
