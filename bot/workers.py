"""Several worker processes serving the one HTTP app (``serve --workers N``).

uvicorn starts N processes that share the listening socket; each calls :func:`create_app`, which
builds its own services (index, engine, store) from the same settings and database.  What must be
shared lives in the database: the query log, conversation state, WeChat dedup and outbox, rate
limits, the corpus generation (a reload reaches every worker), the admin's corrections and sessions.

Only the HTTP channels run in workers: the WeChat callback, the admin console and Telegram's
webhook.  Telegram *polling* takes updates in one process only, so several workers need
``WEBHOOK_URL``.  A stop (SIGTERM/SIGINT to the supervisor) reaches every worker; each finishes
its requests, stops Telegram, and closes its store (written, or spooled for the next start).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.config import Settings

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


def why_not_workers(settings: Settings, workers: int) -> str:
    """Why SETTINGS can't be served by WORKERS processes ("" when they can)."""
    if workers <= 1:
        return ""
    if settings.telegram_bot_token and not settings.webhook_url:
        return ("several workers need Telegram's webhook (set WEBHOOK_URL): "
                "polling takes updates in one process only")  # fmt: skip
    if not (settings.wechat_token or settings.admin_password or settings.webhook_url):
        return "several workers serve HTTP channels: set WECHAT_TOKEN, ADMIN_PASSWORD or WEBHOOK_URL"
    return ""


def telegram_parts(services: Services) -> tuple[Any, list[BaseRoute]]:
    """The PTB Application (None without a token) and, in webhook mode, its route for the HTTP app."""
    settings = services.settings
    if not settings.telegram_bot_token:
        return None, []
    from bot.channels.telegram.app import build_application
    from bot.channels.telegram.webhook import webhook_routes, webhook_secret

    app = build_application(services)
    if not settings.webhook_url:
        return app, []
    secret = webhook_secret(settings.telegram_bot_token, settings.webhook_secret)
    return app, webhook_routes(app, settings.webhook_url, secret)


def create_app() -> Starlette:
    """One worker: its services, the HTTP app over them, Telegram's webhook started with it."""
    from bot.app import build_services
    from bot.http_app import build_http_app

    settings = Settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s")
    services = build_services(settings)
    telegram, routes = telegram_parts(services)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services.engine.warm_up()
        services.start_watching()
        if telegram is not None:
            from bot.channels.telegram.app import start_telegram

            await start_telegram(telegram, settings)
        try:
            yield
        finally:
            try:
                if telegram is not None:
                    from bot.channels.telegram.app import stop_telegram

                    await stop_telegram(telegram)
            finally:
                services.close()

    return build_http_app(services, routes=routes, lifespan=lifespan)


def run_workers(settings: Settings, workers: int) -> None:
    """Serve the HTTP app with WORKERS processes on HTTP_HOST:HTTP_PORT until stopped."""
    import uvicorn

    from bot.http_app import log_console_url

    log.info("serving %s workers on http://%s:%s", workers, settings.http_host, settings.http_port)
    log_console_url(settings)
    uvicorn.run(
        "bot.workers:create_app", factory=True, workers=workers, host=settings.http_host, port=settings.http_port,
        log_level="info", server_header=False, access_log=False,  # WeChat's openid is in the query string
    )  # fmt: skip
