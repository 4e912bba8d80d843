"""The Telegram application: all handler wiring in one place, and how it runs.

Entry points:
    build_application(services)            the configured PTB Application (not started)
    start_telegram(app, settings) / stop_telegram(app)
                                           start/stop polling or the webhook inside a running loop
    serve_telegram(services, stop=None)    run until ``stop`` is set (or SIGINT/SIGTERM)
    run_telegram(services)                 blocking: ``asyncio.run(serve_telegram(services))``
"""

from __future__ import annotations

import asyncio
import logging
import signal
from contextlib import suppress
from typing import TYPE_CHECKING

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram import admin, handlers
from bot.channels.telegram.ratelimit import make_limiter
from bot.state import shared_state
from bot.channels.telegram.startup import start_with_retry
from bot.channels.telegram.state import STATE_KEY, ChannelState
from bot.channels.telegram.texts import t
from bot.channels.telegram.updates import TolerantUpdatesRequest
from bot.channels.telegram.webhook import webhook_secret

if TYPE_CHECKING:
    from bot.app import Services
    from bot.config import Settings

log = logging.getLogger(__name__)

PUBLIC_COMMANDS = ("start", "help")
ADMIN_COMMANDS = (("reload", "重新加载语料"), ("stats", "统计"), ("unanswered", "待处理的问题"))
POLL_TIMEOUT_S = 10.0


def api_url(base_url: str) -> str:
    """``TELEGRAM_API_BASE_URL`` as PTB wants it: the token is appended to it (``…/bot`` + token).

    A bare server address (``http://localhost:8081``) gets the ``/bot`` it needs.
    """
    url = base_url.strip().rstrip("/")
    return url if "{token}" in url or url.endswith("/bot") else f"{url}/bot"


def file_url(base_url: str) -> str:
    """The Bot API file URL that goes with ``base_url`` (``…/bot`` → ``…/file/bot``)."""
    head, _, tail = api_url(base_url).rpartition("/")
    return f"{head}/file/{tail}"


def add_handlers(app: Application) -> None:
    """Every handler of the bot, in the order they are tried."""
    app.add_handler(TypeHandler(Update, handlers.rate_limit_gate), group=-1)
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("reload", admin.reload_command))
    app.add_handler(CommandHandler("stats", admin.stats_command))
    app.add_handler(CommandHandler("unanswered", admin.unanswered_command))
    new_message = filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(new_message & filters.COMMAND, handlers.unknown_command))
    app.add_handler(CallbackQueryHandler(handlers.on_callback))
    app.add_handler(MessageHandler(new_message & filters.TEXT, handlers.on_text))
    app.add_handler(MessageHandler(new_message & ~filters.TEXT & ~filters.StatusUpdate.ALL, handlers.on_non_text))
    app.add_error_handler(handlers.on_error)


async def set_commands(app: Application) -> None:
    """The command menu: /start and /help for everyone (zh and en), admin commands for admins."""
    bot = app.bot
    for lang in ("zh", "en"):
        commands = [BotCommand(name, t(f"cmd_{name}", lang)) for name in PUBLIC_COMMANDS]
        await bot.set_my_commands(commands, language_code=None if lang == "zh" else lang)
    public = [BotCommand(name, t(f"cmd_{name}", "zh")) for name in PUBLIC_COMMANDS]
    everything = public + [BotCommand(name, text) for name, text in ADMIN_COMMANDS]
    st: ChannelState = app.bot_data[STATE_KEY]
    for admin_id in st.services.settings.admin_ids:
        try:  # fails until the admin has opened a chat with the bot
            await bot.set_my_commands(everything, scope=BotCommandScopeChat(admin_id))
        except (BadRequest, Forbidden) as exc:  # network errors go to the start-up retry
            log.warning("could not set the admin command menu for admin %s: %s", st.log_id(admin_id), exc)


def build_application(services: "Services") -> Application:
    """The bot as a PTB Application over ``services`` (engine, settings, store); not started."""
    settings = services.settings
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    app = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(api_url(settings.telegram_api_base_url))
        .base_file_url(file_url(settings.telegram_api_base_url))
        .rate_limiter(AIORateLimiter(max_retries=2))
        .get_updates_request(TolerantUpdatesRequest())
        .post_init(set_commands)
        .build()
    )
    limiter = make_limiter(settings.rate_limit_per_minute, 60.0, shared_state(services.store))  # shared via the database
    app.bot_data[STATE_KEY] = ChannelState(services=services, limiter=limiter)
    add_handlers(app)
    return app


async def start_telegram(
    app: Application,
    settings: "Settings",
    *,
    poll_timeout: float = POLL_TIMEOUT_S,
    stop: asyncio.Event | None = None,
) -> bool:
    """Initialise and start ``app``: polling, or — when ``settings.webhook_url`` is set — the webhook
    registered with Telegram, its updates arriving through the HTTP app's route (:mod:`.webhook`).

    While the Bot API is unreachable or failing, retries with backoff (see ``startup``); False
    when ``stop`` was set before it could start. A refused token raises ``TelegramStartError``.
    """

    async def attempt() -> None:  # every step can be repeated after a failure part-way through
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        if not app.running:
            await app.start()
        if settings.webhook_url:
            await app.bot.set_webhook(
                settings.webhook_url,
                secret_token=webhook_secret(settings.telegram_bot_token, settings.webhook_secret),
                allowed_updates=Update.ALL_TYPES,
            )
            log.info("telegram: webhook at %s (served by the HTTP app)", settings.webhook_url)
        elif not app.updater.running:
            await app.updater.start_polling(timeout=poll_timeout, allowed_updates=Update.ALL_TYPES)
            log.info("telegram: polling as @%s", app.bot.username)

    return await start_with_retry(attempt, settings.telegram_bot_token, stop)


async def stop_telegram(app: Application) -> None:
    if app.updater and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):  # not on every platform / thread
            loop.add_signal_handler(sig, stop.set)


async def serve_telegram(services: "Services", stop: asyncio.Event | None = None, app: Application | None = None) -> None:
    """Run the bot (APP, by default built here) until ``stop`` is set (by default: until SIGINT or SIGTERM)."""
    if stop is None:
        stop = asyncio.Event()
        _stop_on_signals(stop)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per poll otherwise
    app = app or build_application(services)
    try:
        if await start_telegram(app, services.settings, stop=stop):
            await stop.wait()
    finally:
        await stop_telegram(app)


def run_telegram(services: "Services") -> None:
    """Blocking entry point for ``serve``: polling, or a webhook when WEBHOOK_URL is set."""
    asyncio.run(serve_telegram(services))
