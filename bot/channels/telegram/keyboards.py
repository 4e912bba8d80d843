"""Inline keyboards and their compact callback data (Telegram allows 64 bytes).

Callback data:
    ``m``               更多: the next passages of the chat's last question
    ``a:<page>``        原文: a page of the article behind the last answer (new message)
    ``p:<page>``        article page navigation (edits the page message in place)
    ``f:u:<exchange>``  👍 for an exchange; ``f:d:<exchange>`` 👎
    ``q:<index>``       ask the question written on the button (examples, suggestions)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.texts import t
from bot.messages import Reply, ReplyKind

MAX_CALLBACK_BYTES = 64
MAX_QUESTION_BUTTONS = 4


@dataclass(frozen=True)
class Action:
    """A parsed callback: ``kind`` is one of more/article/page/feedback/ask."""

    kind: str
    page: int = 0
    up: bool = False
    exchange_id: str = ""
    index: int = -1


def _data(text: str) -> str:
    if len(text.encode("utf-8")) > MAX_CALLBACK_BYTES:  # never happens with our formats
        raise ValueError(f"callback data over {MAX_CALLBACK_BYTES} bytes: {text!r}")
    return text


def parse_callback(data: str | None) -> Action | None:
    """The action behind a button, or None for data this bot did not make."""
    parts = (data or "").split(":")
    try:
        match parts:
            case ["m"]:
                return Action("more")
            case ["a", page]:
                return Action("article", page=max(1, int(page)))
            case ["p", page]:
                return Action("page", page=max(1, int(page)))
            case ["f", ("u" | "d") as vote, exchange_id] if exchange_id.isalnum():
                return Action("feedback", up=vote == "u", exchange_id=exchange_id)
            case ["q", index]:
                return Action("ask", index=int(index))
    except ValueError:
        return None
    return None


def feedback_row(exchange_id: str) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton("👍", callback_data=_data(f"f:u:{exchange_id}")),
        InlineKeyboardButton("👎", callback_data=_data(f"f:d:{exchange_id}")),
    ]


def questions_keyboard(questions: Sequence[str]) -> InlineKeyboardMarkup | None:
    """One button per question; tapping it asks the question written on it."""
    rows = [
        [InlineKeyboardButton(q, callback_data=_data(f"q:{i}"))]
        for i, q in enumerate(questions[:MAX_QUESTION_BUTTONS])
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def _article_nav(reply: Reply) -> list[InlineKeyboardButton]:
    page, pages = reply.page or 1, reply.pages
    row = []
    if page > 1:
        row.append(InlineKeyboardButton(t("prev", reply.lang), callback_data=_data(f"p:{page - 1}")))
    if page < pages:
        row.append(InlineKeyboardButton(t("next", reply.lang), callback_data=_data(f"p:{page + 1}")))
    return row


def reply_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Buttons under a reply: 更多 / 原文 / 👍 👎 under answers, page navigation under articles."""
    if reply.kind == ReplyKind.ARTICLE:
        nav = _article_nav(reply)
        return InlineKeyboardMarkup([nav]) if nav else None
    if reply.kind in (ReplyKind.ANSWER, ReplyKind.MORE) and reply.quotes:
        first = []
        if reply.has_more:
            first.append(InlineKeyboardButton(t("more", reply.lang), callback_data="m"))
        first.append(InlineKeyboardButton(t("article", reply.lang), callback_data="a:1"))
        rows = [first]
        if reply.kind == ReplyKind.ANSWER and reply.exchange_id:
            rows.append(feedback_row(reply.exchange_id))
        return InlineKeyboardMarkup(rows)
    if reply.suggestions:
        return questions_keyboard(reply.suggestions)
    return None


def without(markup: InlineKeyboardMarkup | None, prefixes: tuple[str, ...]) -> InlineKeyboardMarkup | None:
    """``markup`` minus the buttons whose callback data starts with one of ``prefixes``."""
    if markup is None:
        return None
    rows = [
        [b for b in row if not str(b.callback_data or "").startswith(prefixes)]
        for row in markup.inline_keyboard
    ]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


def button_text(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """The text on the button carrying ``data``, if ``markup`` has one."""
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
