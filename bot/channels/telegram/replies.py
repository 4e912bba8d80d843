"""Translating between Telegram updates and the neutral messages, and sending replies."""

from __future__ import annotations

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode

from bot.channels.telegram.keyboards import reply_keyboard
from bot.channels.telegram.render import render_reply, split_html
from bot.channels.telegram.texts import lang_of, t
from bot.messages import Incoming, Reply

CHANNEL = "telegram"
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def incoming(update: Update, text: str) -> Incoming:
    """The neutral message for ``text`` sent in the update's chat by its user."""
    chat = update.effective_chat
    user = update.effective_user
    return Incoming(
        text=text,
        chat_id=str(chat.id if chat else user.id if user else ""),
        user_id=str(user.id) if user else "",
        channel=CHANNEL,
    )


def ui_lang(update: Update) -> str:
    user = update.effective_user
    return lang_of(user.language_code if user else None)


def is_group(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type != ChatType.PRIVATE


def replies_to_bot(message: Message, bot: Bot) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot.id)


def addressed_text(message: Message, bot: Bot) -> str | None:
    """The text meant for the bot, or None when a group message is not addressed to it.

    In a private chat every message is; in a group only a reply to the bot or a
    message that mentions it (the mention is removed from the text).
    """
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE or replies_to_bot(message, bot):
        return text
    mention = f"@{bot.username}".lower()
    kinds = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    for entity, value in message.parse_entities(kinds).items():
        by_name = entity.type == MessageEntity.MENTION and value.lower() == mention
        by_id = entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot.id
        if by_name or by_id:
            return text.replace(value, " ", 1).strip()
    return None


async def send_html(
    bot: Bot,
    chat_id: int,
    chunks: list[str],
    markup: InlineKeyboardMarkup | None = None,
    quote_id: int | None = None,
) -> Message:
    """Send HTML messages in order; the keyboard goes under the last, the first quotes ``quote_id``."""
    sent: Message | None = None
    for n, chunk in enumerate(chunks):
        sent = await bot.send_message(
            chat_id,
            chunk,
            parse_mode=ParseMode.HTML,
            reply_markup=markup if n == len(chunks) - 1 else None,
            reply_parameters=(
                ReplyParameters(quote_id, allow_sending_without_reply=True) if quote_id and n == 0 else None
            ),
            link_preview_options=NO_PREVIEW,
        )
    assert sent is not None, "render produced no message"
    return sent


async def send_reply(
    bot: Bot, chat_id: int, reply: Reply, *, quote_id: int | None = None, echo_question: bool = False
) -> Message:
    """Send an engine reply: rendered, split to the length limit, with its buttons."""
    chunks = render_reply(reply, echo_question=echo_question)
    return await send_html(bot, chat_id, chunks, reply_keyboard(reply), quote_id)


async def say(
    update: Update, bot: Bot, key: str, *, extra: str = "", markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Send the UI text ``key`` (in the user's language) to the update's chat."""
    chat = update.effective_chat
    if chat is None:
        return None
    message = update.effective_message
    quote_id = message.message_id if message and is_group(update) and not update.callback_query else None
    return await send_html(bot, chat.id, split_html(t(key, ui_lang(update)) + extra), markup, quote_id)
