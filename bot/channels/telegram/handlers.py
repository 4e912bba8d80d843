"""User-facing handlers: each one small; the wiring is in ``app.py``.

The engine does the thinking: handlers only translate the update to an
:class:`~bot.messages.Incoming`, call the engine in a worker thread and send back
the rendered :class:`~bot.messages.Reply`.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.channels.telegram.keyboards import (
    button_text,
    parse_callback,
    questions_keyboard,
    reply_keyboard,
    without,
)
from bot.channels.telegram.ratelimit import Verdict
from bot.channels.telegram.render import render_reply
from bot.channels.telegram.replies import (
    addressed_text,
    incoming,
    is_group,
    replies_to_bot,
    say,
    send_reply,
    ui_lang,
)
from bot.channels.telegram.state import state
from bot.channels.telegram.texts import t
from bot.messages import ReplyKind

log = logging.getLogger(__name__)

MORE = "更多"
ARTICLE = "原文"


def _for_us(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the update asks something of the bot (group chatter does not count)."""
    if update.callback_query:
        return True
    message = update.message
    if message is None:
        return False
    if not is_group(update) or (message.text or "").startswith("/"):
        return True
    return replies_to_bot(message, context.bot) or addressed_text(message, context.bot) is not None


async def rate_limit_gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every other handler: over the per-user limit, say so once and stop."""
    user = update.effective_user
    if user is None or not _for_us(update, context):
        return
    st = state(context)
    verdict = st.limiter.check(str(user.id))
    if verdict == Verdict.ALLOW:
        return
    log.info("rate limit: user %s %s", st.log_id(user.id), verdict.value)
    query = update.callback_query
    if query is not None:
        await query.answer(t("rate_limited", ui_lang(update)) if verdict == Verdict.WARN else None)
    elif verdict == Verdict.WARN:
        await say(update, context.bot, "rate_limited")
    raise ApplicationHandlerStop


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    lang = ui_lang(update)
    examples = await asyncio.to_thread(state(context).engine.examples, lang)
    await say(update, context.bot, "welcome", markup=questions_keyboard(examples))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    user = update.effective_user
    admin = state(context).is_admin(user.id if user else None)
    await say(update, context.bot, "help", extra=t("admin_help", ui_lang(update)) if admin else "")


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not is_group(update):
        await say(update, context.bot, "unknown_command")


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, *, echo: bool = False) -> None:
    """Send ``text`` to the engine for this chat and post its reply."""
    reply = await asyncio.to_thread(state(context).engine.handle, incoming(update, text))
    message = update.message
    quote_id = message.message_id if message and is_group(update) else None
    await send_reply(context.bot, update.effective_chat.id, reply, quote_id=quote_id, echo_question=echo)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = addressed_text(update.message, context.bot)
    if text is not None:
        await ask(update, context, text)


async def on_non_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice, files …: only text can be answered."""
    if not is_group(update) or replies_to_bot(update.message, context.bot):
        await say(update, context.bot, "text_only")


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button under one of our messages. The query is always answered."""
    query = update.callback_query
    if query.message is None:  # a message sent via the bot in inline mode: no chat to answer in
        await query.answer(t("inline_button", ui_lang(update)))
        return
    action = parse_callback(query.data)
    if action is None:
        await query.answer(t("button_expired", ui_lang(update)))
        return
    if action.kind == "feedback":
        await _feedback(update, context, action.up, action.exchange_id)
        return
    await query.answer()
    if action.kind == "more":
        await ask(update, context, MORE)
        with suppress(TelegramError):  # the old "more" button is spent
            await query.edit_message_reply_markup(without(markup_of(query), ("m",)))
    elif action.kind == "article":
        await ask(update, context, f"{ARTICLE} {action.page}")
    elif action.kind == "page":
        await _turn_page(update, context, action.page)
    elif action.kind == "ask":
        question = button_text(markup_of(query), query.data)
        if question is None:
            examples = state(context).engine.examples(ui_lang(update))
            question = examples[action.index] if 0 <= action.index < len(examples) else ""
        await ask(update, context, question, echo=True)


async def _feedback(update: Update, context: ContextTypes.DEFAULT_TYPE, up: bool, exchange_id: str) -> None:
    query = update.callback_query
    msg = incoming(update, "👍" if up else "👎")
    stored = await asyncio.to_thread(state(context).engine.feedback, msg, up, exchange_id)
    await query.answer(t("feedback_thanks" if stored else "feedback_nothing", ui_lang(update)))
    if stored:
        with suppress(TelegramError):  # one vote per answer: the buttons go
            await query.edit_message_reply_markup(without(markup_of(query), ("f:",)))


async def _turn_page(update: Update, context: ContextTypes.DEFAULT_TYPE, page: int) -> None:
    """Article page navigation: the page message is edited in place when the page fits."""
    reply = await asyncio.to_thread(state(context).engine.handle, incoming(update, f"{ARTICLE} {page}"))
    chunks = render_reply(reply)
    query = update.callback_query
    if reply.kind == ReplyKind.ARTICLE and len(chunks) == 1 and markup_of(query) is not None:
        try:
            await query.edit_message_text(chunks[0], parse_mode=ParseMode.HTML, reply_markup=reply_keyboard(reply))
            return
        except BadRequest as exc:
            if "not modified" in str(exc).lower():  # the same page tapped twice
                return
            log.info("could not edit the article page (%s); sending it anew", exc)
    await send_reply(context.bot, update.effective_chat.id, reply)


def markup_of(query: CallbackQuery) -> InlineKeyboardMarkup | None:
    """The keyboard of the message under which a button was tapped (None if it is gone)."""
    return getattr(query.message, "reply_markup", None)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure and tell the user, rather than going silent."""
    update_id = update.update_id if isinstance(update, Update) else None  # no message text in the log
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    with suppress(TelegramError):
        if update.callback_query:
            with suppress(TelegramError):  # may have been answered already
                await update.callback_query.answer()
        await say(update, context.bot, "error")
