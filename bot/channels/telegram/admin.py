"""Admin commands (/reload, /stats, /unanswered) for the user ids in ``ADMIN_IDS``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram.render import esc, split_html
from bot.channels.telegram.replies import say, send_html, ui_lang
from bot.channels.telegram.state import state
from bot.records import ReloadReport

log = logging.getLogger(__name__)

UNANSWERED_LIMIT = 10


async def _admin(update: Update, context: ContextTypes.DEFAULT_TYPE, command: str) -> bool:
    """True for an admin; anyone else gets a polite refusal and the attempt is logged."""
    user = update.effective_user
    if state(context).is_admin(user.id if user else None):
        return True
    st = state(context)
    chat = update.effective_chat
    log.warning("refused /%s from non-admin user %s in chat %s", command, st.log_id(user.id if user else None),
                st.log_id(chat.id if chat else None))
    await say(update, context.bot, "not_admin")
    return False


def reload_summary(report: ReloadReport, lang: str = "zh") -> str:
    """The reload report as Telegram HTML (file names and reasons escaped)."""
    if not report.ok:
        if lang == "en":
            return f"❌ <b>Reload failed</b>: {esc(report.error)}\nThe previous index is still answering."
        return f"❌ <b>重新加载失败</b>：{esc(report.error)}\n仍在使用原来的索引。"
    en = lang == "en"
    lines = [
        f"✅ <b>{'Reloaded' if en else '重新加载完成'}</b> ({report.duration_s:.1f} s)",
        (f"{report.articles} articles, {report.passages} passages" if en
         else f"{report.articles} 篇文章，{report.passages} 个段落"),
    ]
    for label_en, label_zh, files in (
        ("added", "新增", report.added),
        ("changed", "修改", report.changed),
        ("removed", "删除", report.removed),
    ):
        names = ", ".join(esc(f) for f in files) if files else "—"
        lines.append(f"{label_en if en else label_zh} {len(files)}: {names}")
    if report.skipped:
        lines.append(f"{'skipped' if en else '跳过'} {len(report.skipped)}:")
        lines.extend(f"• {esc(name)}: {esc(reason)}" for name, reason in report.skipped)
    return "\n".join(lines)


async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Rebuild the index in a worker thread; other chats keep being answered meanwhile."""
    if not await _admin(update, context, "reload"):
        return
    lock = state(context).reload_lock
    if lock.locked():
        await say(update, context.bot, "reload_busy")
        return
    await lock.acquire()  # taken here, before any await, so a second /reload sees it; _reload releases it
    try:
        await say(update, context.bot, "reload_started")
    except BaseException:
        lock.release()
        raise
    context.application.create_task(_reload(update, context), update=update, name="telegram-reload")


async def _reload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    st = state(context)
    who = f"telegram:{update.effective_user.id}"
    try:
        report = await asyncio.to_thread(st.services.reload, who, "telegram")  # every running bot follows
    finally:
        st.reload_lock.release()
    log.info("reload by telegram admin %s: ok=%s %s", st.log_id(update.effective_user.id), report.ok, report.error)
    text = reload_summary(report, ui_lang(update))
    await send_html(context.bot, update.effective_chat.id, split_html(text))


def _review_text(store: Any, name: str, **kwargs: Any) -> str | None:
    """Text from a ``bot.storage.review`` formatter, or None without a store or the module."""
    if store is None:
        return None
    try:
        from bot.storage import review  # imported late: the store is optional
    except ImportError:
        log.warning("bot.storage.review is not available")
        return None
    formatter: Callable[..., str] = getattr(review, name)
    return formatter(store, **kwargs)


async def _send_review(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str, **kwargs: Any) -> None:
    text = await asyncio.to_thread(_review_text, state(context).store, name, **kwargs)
    if not text:
        await say(update, context.bot, "no_database")
        return
    await send_html(context.bot, update.effective_chat.id, split_html(f"<pre>{esc(text)}</pre>"))


async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if await _admin(update, context, "stats"):
        await _send_review(update, context, "format_stats_text")


async def unanswered_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if await _admin(update, context, "unanswered"):
        below = state(context).engine.low_confidence_below  # answered, but worth a look
        await _send_review(update, context, "format_queue_text", limit=UNANSWERED_LIMIT, low_confidence_below=below)
