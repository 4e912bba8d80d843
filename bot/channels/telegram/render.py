"""A neutral :class:`~bot.messages.Reply` as Telegram HTML, split to Telegram's length limit.

Everything that comes from the corpus or the user is escaped with :func:`html.escape`
before any tag is added; the only tags produced are ``<b>``, ``<i>`` and ``<blockquote>``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from bot.channels.telegram.keyboards import reply_keyboard
from bot.channels.telegram.texts import t
from bot.messages import Quote, Reply, ReplyKind

MAX_MESSAGE = 4096  # Telegram's limit on a message's text
EXPANDABLE_OVER = 600  # passages longer than this go into an expandable blockquote

def esc(text: str) -> str:
    """Escape text for Telegram HTML (``&``, ``<``, ``>``; we never write attributes from text)."""
    return html.escape(text, quote=False)


_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|[\s\S]")  # a tag, an entity, or one character
_BREAK_AFTER = frozenset("\n。！？；!?;")  # good places to cut a block that is too long


# ---------------------------------------------------------------- rendering


def highlight(text: str, terms: Iterable[str]) -> str:
    """``text`` escaped for HTML, with every occurrence of a term wrapped in ``<b>``."""
    words = sorted({w for w in terms if w and w.strip()}, key=len, reverse=True)
    if not words:
        return esc(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(esc(text[last : match.start()]))
        out.append(f"<b>{esc(match.group())}</b>")
        last = match.end()
    out.append(esc(text[last:]))
    return "".join(out)


def source_line(quote: Quote) -> str:
    return "— <i>" + esc(quote.source.label()) + "</i>"


def quote_block(quote: Quote, terms: Iterable[str]) -> str:
    if quote.only_source:  # the direct answer above is the whole passage
        return source_line(quote)
    body = highlight(quote.display, (*quote.terms, *terms))
    tag = "blockquote expandable" if len(quote.display) > EXPANDABLE_OVER else "blockquote"
    return f"<{tag}>{body}</blockquote>\n{source_line(quote)}"


def _article_blocks(reply: Reply) -> list[str]:
    """A page of an article: its paragraphs as plain text, the source once at the end."""
    if not reply.quotes:
        return []
    paragraphs = [highlight(q.text, (*q.terms, *reply.terms)) for q in reply.quotes]
    return [*paragraphs, source_line(reply.quotes[0])]


def render_blocks(reply: Reply, *, echo_question: bool = False) -> list[str]:
    """The reply as top-level HTML blocks (each balanced), in reading order."""
    blocks: list[str] = []
    if echo_question and reply.question:
        blocks.append(f"❓ <b>{esc(reply.question)}</b>")
    if reply.intro:
        blocks.append(esc(reply.intro))
    if reply.direct:
        direct = highlight(" ".join(reply.direct), reply.terms)
        blocks.append(f"<b>{t('answer', reply.lang)}</b>{direct}")
    if reply.kind == ReplyKind.ARTICLE:
        blocks.extend(_article_blocks(reply))
    else:
        blocks.extend(quote_block(q, reply.terms) for q in reply.quotes)
    if reply.suggestions:
        blocks.append("\n".join("• " + esc(s) for s in reply.suggestions))
    if reply.error and not (reply.intro or reply.quotes):
        blocks.append(esc(reply.error))
    if reply.footer and reply_keyboard(reply) is None:  # buttons say what the footer says
        blocks.append(f"<i>{esc(reply.footer)}</i>")
    return blocks or [esc(reply.question or "…")]


def render_reply(reply: Reply, *, echo_question: bool = False, limit: int = MAX_MESSAGE) -> list[str]:
    """The reply as one or more Telegram HTML messages, each within ``limit``."""
    return split_html("\n\n".join(render_blocks(reply, echo_question=echo_question)), limit)


# ---------------------------------------------------------------- splitting


def units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _tag_name(tag: str) -> str:
    return tag.strip("</>").split()[0].lower() if tag.strip("</>") else ""


def _apply(stack: list[str], token: str) -> list[str]:
    """The open-tag stack after ``token`` (stack holds full opening tags)."""
    if not token.startswith("<") or len(token) < 3:
        return stack
    if token.startswith("</"):
        name = _tag_name(token)
        for i in range(len(stack) - 1, -1, -1):
            if _tag_name(stack[i]) == name:
                return stack[:i]
        return stack
    return [*stack, token]


def _closing(stack: list[str]) -> str:
    return "".join(f"</{_tag_name(tag)}>" for tag in reversed(stack))


def _top_level_blocks(text: str) -> list[str]:
    """``text`` cut at blank lines that are outside every tag."""
    blocks: list[str] = []
    current: list[str] = []
    stack: list[str] = []
    for token in _TOKEN.findall(text):
        if token == "\n" and not stack and current and current[-1] == "\n":
            current.pop()
            blocks.append("".join(current))
            current = []
            continue
        current.append(token)
        stack = _apply(stack, token)
    blocks.append("".join(current))
    return [b for b in blocks if b.strip()]


def _split_block(block: str, limit: int) -> list[str]:
    """Cut one balanced block that is too long; tags open at a cut are closed and reopened."""
    tokens = _TOKEN.findall(block)
    pieces: list[str] = []
    start, carried = 0, []  # token index where the piece starts; tags open there
    while start < len(tokens):
        out, stack = list(carried), list(carried)
        size = sum(units(tag) for tag in carried)
        best: tuple[int, int, list[str]] | None = None  # (token index, len(out), stack)
        i = start
        while i < len(tokens):
            token = tokens[i]
            after = _apply(stack, token)
            if size + units(token) + units(_closing(after)) > limit and i > start:
                break
            out.append(token)
            size += units(token)
            stack = after
            i += 1
            if token in _BREAK_AFTER and not token.startswith("<"):
                best = (i, len(out), stack)
        if i < len(tokens) and best is not None:
            i, cut, stack = best
            out = out[:cut]
        pieces.append(("".join(out) + _closing(stack)).strip())
        start, carried = i, stack
    return [p for p in pieces if p]


def split_html(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Telegram HTML cut into messages of at most ``limit`` units.

    Cuts at blank lines between blocks when it can, inside a block at a line or
    sentence end otherwise; never inside a tag or an entity, and every message is
    balanced (tags open at a cut are closed, and reopened in the next message).
    """
    chunks: list[str] = []
    current = ""
    for block in _top_level_blocks(text):
        joined = f"{current}\n\n{block}" if current else block
        if units(joined) <= limit:
            current = joined
            continue
        if current:
            chunks.append(current)
        if units(block) <= limit:
            current = block
            continue
        *full, current = _split_block(block, limit)
        chunks.extend(full)
    if current:
        chunks.append(current)
    return chunks
