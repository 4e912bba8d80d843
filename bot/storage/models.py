"""Typed declarative models: query log, feedback, reload history.

Portable types only (PostgreSQL works unchanged); lists are JSON columns; every time is
stored and returned as an aware UTC datetime.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Index, Integer, String, Text, true
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """``DateTime(timezone=True)`` that always hands back aware UTC datetimes (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class ExchangeRow(Base):
    """One question (or command) and the reply it got."""

    __tablename__ = "exchanges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exchange_id: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    time: Mapped[datetime] = mapped_column(index=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    chat_id: Mapped[str] = mapped_column(String(128), default="")
    user_id: Mapped[str] = mapped_column(String(128), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    query: Mapped[str] = mapped_column(Text, default="")
    answered: Mapped[bool] = mapped_column(Boolean, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    passages: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{article, paragraph, score}]
    best_text: Mapped[str] = mapped_column(Text, default="")
    reply_length: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="", server_default="")  # why a question was declined
    reply: Mapped[str] = mapped_column(Text, default="", server_default="")  # as the user read it (plain text)
    confidence: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")  # the answer decision's score
    source: Mapped[str] = mapped_column(String(16), default="user", server_default="user", index=True)  # user | ask | eval


class FeedbackRow(Base):
    """A 👍/👎 on an exchange. No foreign key: feedback outlives a purged or unwritten exchange."""

    __tablename__ = "feedback"
    __table_args__ = (Index("uq_feedback_exchange_user", "exchange_id", "user_id", unique=True),)  # one vote each

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    exchange_id: Mapped[str] = mapped_column(String(64), index=True)
    up: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(32), default="")
    chat_id: Mapped[str] = mapped_column(String(128), default="")
    user_id: Mapped[str] = mapped_column(String(128), default="")
    time: Mapped[datetime] = mapped_column(index=True)


class ReloadRow(Base):
    """One rebuild of the index from corpus/."""

    __tablename__ = "reloads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    time: Mapped[datetime] = mapped_column(index=True)
    who: Mapped[str] = mapped_column(String(128), default="")
    origin: Mapped[str] = mapped_column(String(32), default="")
    ok: Mapped[bool] = mapped_column(Boolean)
    articles: Mapped[int] = mapped_column(Integer, default=0)
    passages: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[list[Any]] = mapped_column(JSON, default=list)
    changed: Mapped[list[Any]] = mapped_column(JSON, default=list)
    removed: Mapped[list[Any]] = mapped_column(JSON, default=list)
    skipped: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [[file, reason]]
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")


class ReviewMarkRow(Base):
    """A review-queue question (by :func:`bot.storage.normalize.question_key`) the admin marked handled."""

    __tablename__ = "review_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)
    question: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    who: Mapped[str] = mapped_column(String(128), default="")
    time: Mapped[datetime] = mapped_column()


class CorrectionRow(Base):
    """The admin's "answer this question (and close paraphrases) with that passage"."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(512), index=True)  # question_key(question)
    question: Mapped[str] = mapped_column(Text)
    article: Mapped[str] = mapped_column(String(256))
    paragraph: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)  # the passage when chosen: found again by text after a reload
    who: Mapped[str] = mapped_column(String(128), default="")
    time: Mapped[datetime] = mapped_column()
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class GenerationRow(Base):
    """One row (id 1): the corpus generation, raised by every successful reload; every process watches it."""

    __tablename__ = "corpus_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(32), default="")
    time: Mapped[datetime] = mapped_column()
from bot.storage import state_models  # noqa: E402,F401  # the shared-state tables join Base.metadata
