"""Records the engine hands to storage: one per exchange, feedback and reload.

The engine only knows the :class:`Sink` protocol; ``bot.storage`` implements it
with a database, :class:`NullSink` drops everything (tests, no database).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.messages import Incoming, Reply


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class PassageRef:
    article: str
    paragraph: int
    score: float
    title: str = ""
    text: str = ""  # the passage as quoted (or, for a decline, the passage the bot had)


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
    reply: str = ""  # the reply as the user read it (plain text)
    confidence: float = 0.0  # the answer decision's score for the passage it judged
    source: str = "user"  # user (real traffic) | ask | eval (the admin's runs, left out of stats)


def exchange_of(
    msg: Incoming,
    reply: Reply | None,
    latency_ms: float,
    *,
    exchange_id: str | None = None,
    kind: str | None = None,
    reply_length: int | None = None,
    reply_text: str | None = None,
) -> Exchange:
    """The log record of MSG answered with REPLY (None: nothing to show from the engine yet).

    By default the exchange takes the reply's id, kind, query, passages, error and decline reason, and
    its length is what the reply quotes. A channel that showed something else (the next part of an
    earlier reply, a notice) passes its own EXCHANGE_ID (a fresh one by default without a reply),
    KIND, REPLY_LENGTH and REPLY_TEXT (by default the reply rendered as plain text).
    A decline's passages are the ones the bot had (for the review queue); the user saw none of them.
    """
    from bot.render import render_plain  # records stay importable without the rendering code
    quotes = reply.quotes if reply is not None else []
    shown = quotes or (reply.considered if reply is not None else [])  # a decline: what the bot had
    if reply_length is None:
        reply_length = 0 if reply is None else (
            len(reply.intro) + sum(len(s) for s in reply.direct) + sum(len(q.text) for q in quotes))  # fmt: skip
    if exchange_id is None:
        exchange_id = reply.exchange_id if reply is not None else uuid.uuid4().hex
    return Exchange(
        exchange_id=exchange_id,
        channel=msg.channel,
        chat_id=msg.chat_id,
        user_id=msg.user_id,
        message=msg.text,
        query=reply.query if reply is not None else "",
        answered=reply is not None and reply.answered,
        kind=kind if kind is not None else (reply.kind.value if reply is not None else "notice"),
        passages=[PassageRef(q.source.article, q.paragraph, round(q.score, 4), q.source.title, q.text) for q in shown],
        reply_length=reply_length,
        latency_ms=round(latency_ms, 3),
        error=reply.error if reply is not None else "",
        best_text=shown[0].text if shown else "",
        reason=reply.reason if reply is not None else "",
        reply=reply_text if reply_text is not None else (render_plain(reply) if reply is not None else ""),
        confidence=reply.confidence if reply is not None else 0.0,
        source=msg.source,
    )


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
