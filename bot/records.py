"""Records the engine hands to storage: one per exchange, feedback and reload.

The engine only knows the :class:`Sink` protocol; ``bot.storage`` implements it
with a database, :class:`NullSink` drops everything (tests, no database).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Protocol


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class PassageRef:
    article: str
    paragraph: int
    score: float


@dataclass
class Exchange:
    """One question and the reply it got."""

    exchange_id: str
    channel: str
    chat_id: str
    user_id: str
    message: str
    query: str  # the query actually searched
    answered: bool
    kind: str  # ReplyKind value
    passages: list[PassageRef] = field(default_factory=list)
    reply_length: int = 0
    latency_ms: float = 0.0
    error: str = ""
    best_text: str = ""  # the best passage the bot had (shown in the review queue)
    time: datetime = field(default_factory=utcnow)
    reason: str = ""  # why a question was declined: "weak match", "unknown name: 青岛市", …


@dataclass
class Feedback:
    exchange_id: str
    up: bool
    reason: str = ""
    channel: str = ""
    chat_id: str = ""
    user_id: str = ""
    time: datetime = field(default_factory=utcnow)


@dataclass
class ReloadReport:
    who: str
    origin: str  # cli | telegram | wechat | …
    ok: bool = True
    articles: int = 0
    passages: int = 0
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    duration_s: float = 0.0
    error: str = ""
    time: datetime = field(default_factory=utcnow)


class Sink(Protocol):
    """Where the engine sends its records. Must never raise into the reply path."""

    def record_exchange(self, exchange: Exchange) -> None: ...

    def record_feedback(self, feedback: Feedback) -> None: ...

    def record_reload(self, report: ReloadReport) -> None: ...


class NullSink:
    def record_exchange(self, exchange: Exchange) -> None:
        pass

    def record_feedback(self, feedback: Feedback) -> None:
        pass

    def record_reload(self, report: ReloadReport) -> None:
        pass


class MemorySink:
    """Keeps records in lists: for tests and for a bot run without a database."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.feedback: list[Feedback] = []
        self.reloads: list[ReloadReport] = []

    def record_exchange(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def record_feedback(self, feedback: Feedback) -> None:
        self.feedback.append(feedback)

    def record_reload(self, report: ReloadReport) -> None:
        self.reloads.append(report)
