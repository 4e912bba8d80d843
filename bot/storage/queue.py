"""The review queue: what the bot got wrong or nearly wrong, one line per question however it was worded.

A question is on it when it was declined, got a 👎, or (when the caller gives a threshold) was answered
with a confidence below it. Wordings are grouped by :func:`question_key` (traditional/simplified, width,
case, punctuation and spaces folded). Only real traffic counts (``source == "user"``), not the
admin's ``ask``/``eval`` runs. A question marked handled (:mod:`bot.storage.marks`) is left out until
it comes back: asked again, or 👎'd, after the mark.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from bot.storage.marks import mark_times, stored_key
from bot.storage.models import ExchangeRow, FeedbackRow
from bot.storage.normalize import question_key
from bot.storage.filters import (
    Filters,
    HasSession,
    conditions,
    downvoted,
    low_confidence_clause,
    reason_kind,
    unanswered_clause,
)

_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


@dataclass
class QueueItem:
    """One question of the review queue: every variant of it that was declined, down-voted or answered
    with low confidence."""

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
    low_confidence: int = 0  # answered with a confidence below the caller's threshold
    handled: bool = False  # marked handled, and not asked (nor 👎'd) again since
    best_title: str = ""  # the title of best_article
    handled_at: datetime | None = None  # the time of its mark, if it has one (also when it came back since)
    lowest_confidence: float | None = None  # of its low-confidence answers

    @property
    def reason(self) -> str:
        """The most frequent decline reason ("" when none was recorded)."""
        return self.reasons[0][0] if self.reasons else ""


def _top(passages: list[dict[str, Any]]) -> tuple[float, dict[str, Any]]:
    best = max(passages, key=lambda p: float(p.get("score") or 0.0), default={})
    return float(best.get("score") or 0.0), best


def _latest_votes(session: Session, listed: Any) -> dict[str, datetime]:
    """The time of the latest 👎 of each listed exchange."""
    stmt = downvoted().with_only_columns(FeedbackRow.exchange_id, func.max(FeedbackRow.time))
    stmt = stmt.where(FeedbackRow.exchange_id.in_(listed)).group_by(FeedbackRow.exchange_id)
    return {exchange_id: time for exchange_id, time in session.execute(stmt)}


class _Grouper:
    """Folds the queue's exchanges (oldest first) into one QueueItem per question key."""

    def __init__(self, low_confidence_below: float | None) -> None:
        self.below = low_confidence_below
        self.items: dict[str, QueueItem] = {}
        self.wordings: dict[str, Counter[str]] = {}
        self.reasons: dict[str, Counter[str]] = {}
        self.activity: dict[str, datetime] = {}  # the latest exchange or 👎 of each question

    def add(self, row: ExchangeRow, voted: datetime | None) -> None:
        wording = row.message.strip()
        key = question_key(row.message)
        item = self.items.setdefault(key, QueueItem(question=wording, key=key, first_seen=row.time))
        self.wordings.setdefault(key, Counter())[wording] += 1
        item.count += 1
        item.unanswered += int(not row.answered)
        item.negative += int(voted is not None)
        if row.answered and self.below is not None and 0 < row.confidence < self.below:
            item.low_confidence += 1
            item.lowest_confidence = min(row.confidence, item.lowest_confidence or row.confidence)
        if row.reason and not row.answered:
            self.reasons.setdefault(key, Counter())[row.reason] += 1
        item.last_seen = row.time
        self.activity[key] = max(self.activity.get(key, _EPOCH), row.time, voted or _EPOCH)
        if row.channel not in item.channels:
            item.channels.append(row.channel)
        self._best_passage(item, row)

    @staticmethod
    def _best_passage(item: QueueItem, row: ExchangeRow) -> None:
        score, top = _top(list(row.passages or []))
        text = row.best_text or str(top.get("text") or "")
        if text and (not item.best_text or score >= item.best_score):
            first = (row.passages or [{}])[0] if row.best_text else top
            item.best_text, item.best_score = text, score
            item.best_article, item.best_title = str(first.get("article") or ""), str(first.get("title") or "")

    def finish(self, marks: dict[str, datetime]) -> list[QueueItem]:
        for key, item in self.items.items():
            ranked = self.wordings[key].most_common()
            item.question = ranked[0][0]
            item.variants = [w for w, _ in ranked]
            item.reasons = self.reasons[key].most_common() if key in self.reasons else []
            item.handled_at = marks.get(stored_key(key))
            item.handled = item.handled_at is not None and self.activity[key] <= item.handled_at
        return list(self.items.values())


def review_queue(
    store: HasSession,
    *,
    since: datetime | None = None,
    channel: str | None = None,
    limit: int | None = None,
    include_handled: bool = False,
    low_confidence_below: float | None = None,
) -> list[QueueItem]:
    """Declined, 👎 and (with LOW_CONFIDENCE_BELOW) low-confidence answered questions of real traffic,
    grouped by :func:`question_key`, most frequent first; handled ones only with INCLUDE_HANDLED."""
    wrong: list[ColumnElement[bool]] = [unanswered_clause(), ExchangeRow.exchange_id.in_(downvoted())]
    if low_confidence_below is not None:
        wrong.append(low_confidence_clause(low_confidence_below))
    where = [or_(*wrong), *conditions(Filters(since=since, channel=channel, source="user"))]
    stmt = select(ExchangeRow).where(*where).order_by(ExchangeRow.time.asc(), ExchangeRow.id.asc())
    grouper = _Grouper(low_confidence_below)
    with store.session() as session:
        rows = session.scalars(stmt).all()
        votes = _latest_votes(session, select(ExchangeRow.exchange_id).where(*where))
        marks = mark_times(session)
    for row in rows:
        grouper.add(row, votes.get(row.exchange_id))
    items = [i for i in grouper.finish(marks) if include_handled or not i.handled]
    items.sort(key=lambda i: (i.count, i.last_seen or _EPOCH), reverse=True)
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


__all__ = ["QueueItem", "reasons_of", "review_queue"]
