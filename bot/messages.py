"""Neutral message objects: what every channel translates to and from.

Channels (terminal, Telegram, WeChat) build an :class:`Incoming` from a platform
message, hand it to the conversation engine and render the :class:`Reply` it gets
back.  Nothing here knows about any platform.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

Lang = Literal["zh", "en"]


class ReplyKind(str, Enum):
    ANSWER = "answer"  # a question answered with quoted passages
    NO_ANSWER = "no_answer"  # the corpus does not say: declined, with suggestions
    MORE = "more"  # the next page of passages for the previous question
    ARTICLE = "article"  # a page of the full article behind the last answer
    HELP = "help"  # greeting / help text with example questions
    INVALID = "invalid"  # empty, emoji-only, unreadable input
    NOTICE = "notice"  # anything else worth saying (nothing more to show, …)


@dataclass(frozen=True)
class Incoming:
    """One message from a user, platform details stripped."""

    text: str
    chat_id: str
    user_id: str = ""
    channel: str = "cli"  # cli | telegram | wechat
    source: str = "user"  # user: real traffic; ask / eval: the admin's runs, left out of stats


@dataclass(frozen=True)
class Source:
    article: str  # article id (file stem)
    title: str
    year: str = ""
    section: str = ""
    source: str = ""  # publication, when known

    def label(self) -> str:
        """《title》 · year · section, long titles and sections shortened for a phone."""
        parts = [f"《{_short(self.title, TITLE_CHARS)}》"]
        if self.year:
            parts.append(self.year)
        if self.section:
            parts.append(_short(self.section, SECTION_CHARS))
        return " · ".join(parts)


TITLE_CHARS = 22
SECTION_CHARS = 14


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class Quote:
    """A passage quoted verbatim from the corpus."""

    text: str
    source: Source
    paragraph: int  # position of the passage inside its article (0-based)
    score: float = 0.0
    terms: tuple[str, ...] = ()  # query terms to highlight (the channel renders them)
    shown: str = ""  # what a first screen shows: verbatim excerpts joined by "……"; "" = the whole text

    @property
    def display(self) -> str:
        return self.shown or self.text

    @property
    def only_source(self) -> bool:
        """Nothing of the passage is left to show (the direct answer above is all of it): its source only."""
        return self.shown == "……"


@dataclass
class Reply:
    kind: ReplyKind
    lang: Lang
    question: str
    answered: bool = False
    query: str = ""  # what was actually searched (after rewriting, conversion, glossary)
    intro: str = ""  # one line of UI text in the user's language
    direct: tuple[str, ...] = ()  # 1–3 sentences quoted verbatim from the best passage
    quotes: list[Quote] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    footer: str = ""  # UI hint, e.g. how to see more
    terms: tuple[str, ...] = ()  # query terms to highlight in `direct`
    has_more: bool = False
    page: int = 0  # page number for MORE / ARTICLE replies
    pages: int = 0  # page count for ARTICLE replies
    exchange_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    error: str = ""
    reason: str = ""  # a decline's reason, for the admin's review ("weak match", "wrong place: 天桥" …)
    confidence: float = 0.0  # the answer decision's score for the passage it judged
    considered: list[Quote] = field(default_factory=list)  # a decline: the passages the bot had (for review)

    @property
    def best(self) -> Quote | None:
        return self.quotes[0] if self.quotes else None
