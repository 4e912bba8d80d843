"""Tables for the state several workers share (migration 0005_shared_state).

Every key that names a chat or a user holds its keyed hash (as ``exchanges.chat_id`` does),
unless raw ids are configured. Each row carries its expiry: a reader treats an expired row as
absent, and writers delete expired rows now and then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class ChatStateRow(Base):
    """A conversation's state (topic, passages, shown answers, votes) as JSON, per (channel, chat)."""

    __tablename__ = "chat_states"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires: Mapped[datetime] = mapped_column(index=True)


class OnceRow(Base):
    """A WeChat message answered once whichever worker it reaches: claimed, then its reply."""

    __tablename__ = "once_replies"

    key: Mapped[str] = mapped_column(String(256), primary_key=True)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    reply: Mapped[str | None] = mapped_column(Text, nullable=True)  # None: answered "success" (no reply)
    expires: Mapped[datetime] = mapped_column(index=True)


class OutboxRow(Base):
    """What a user's next "更多" delivers: a late answer (pending until ready) or the rest of a reply."""

    __tablename__ = "outbox"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    token: Mapped[str] = mapped_column(String(64))  # whose put this is: a later put or drop wins
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # None while pending
    expires: Mapped[datetime] = mapped_column(index=True)


class RateRow(Base):
    """A user's accepted messages in the rate-limit window (times in epoch seconds)."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    hits: Mapped[list[float]] = mapped_column(JSON)
    warned: Mapped[bool] = mapped_column(Boolean, default=False)
    last: Mapped[float] = mapped_column(Float, index=True)
