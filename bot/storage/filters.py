"""Which exchanges an admin's query looks at: :class:`Filters` and the SQL conditions they make."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session

from bot.storage.models import ExchangeRow, FeedbackRow
from bot.storage.normalize import to_simplified

QUESTION_KINDS = ("answer", "no_answer")
SOURCES = ("user", "ask", "eval")  # real traffic; the admin's `ask` and `eval` runs


class HasSession(Protocol):
    def session(self) -> Session: ...


@dataclass
class Filters:
    """Which exchanges to list. SINCE is inclusive, UNTIL exclusive; SOURCE None means every source;
    ANSWERED True/False keeps only answered/declined questions; SEARCH looks in the question, the
    query searched and the reply (traditional finds simplified too)."""

    unanswered: bool = False
    negative: bool = False
    since: datetime | None = None
    channel: str | None = None
    search: str | None = None
    source: str | None = "user"
    until: datetime | None = None
    answered: bool | None = None


def reason_kind(reason: str) -> str:
    """A reason without its particulars: "unknown name: 青岛市" → "unknown name",
    "weak match (coverage 0.43)" → "weak match"; what ``logs unanswered`` groups by."""
    return reason.split(":", 1)[0].split(" (", 1)[0].strip()


def is_question() -> ColumnElement[bool]:
    """Exchanges that asked something (not help, more, article pages, empty input) — or failed."""
    return or_(ExchangeRow.kind.in_(QUESTION_KINDS), ExchangeRow.error != "")


def unanswered_clause() -> ColumnElement[bool]:
    return and_(is_question(), ExchangeRow.answered == false())


def low_confidence_clause(below: float) -> ColumnElement[bool]:
    """Questions answered with a recorded confidence (above 0) below BELOW."""
    return and_(is_question(), ExchangeRow.answered == true(), ExchangeRow.confidence > 0, ExchangeRow.confidence < below)


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
    if filters.until is not None:
        where.append(ExchangeRow.time < filters.until)
    if filters.channel:
        where.append(ExchangeRow.channel == filters.channel)
    if filters.source is not None:
        where.append(ExchangeRow.source == filters.source)
    if filters.answered is not None:
        where.append(and_(is_question(), ExchangeRow.answered == (true() if filters.answered else false())))
    if filters.search:
        patterns = {_like(filters.search), _like(to_simplified(filters.search))}
        columns = (ExchangeRow.message, ExchangeRow.query, ExchangeRow.reply)
        where.append(or_(*(col.ilike(p, escape="\\") for p in patterns for col in columns)))
    return where
