"""``serve``: run every configured channel; the terminal chat when none is."""

from __future__ import annotations

import asyncio
import logging

import click

from bot.app import Services, build_services
from bot.config import Settings


async def _serve_channels(services: Services) -> None:
    """Telegram (when a token is set) and the HTTP server (when WeChat is configured), together."""
    runs = []
    if services.settings.telegram_bot_token:
        from bot.channels.telegram.app import serve_telegram

        runs.append(serve_telegram(services))
    if services.settings.wechat_token:
        from bot.http_app import serve_http

        runs.append(serve_http(services))
    await asyncio.gather(*runs)


@click.command()
def serve() -> None:
    """Run the bot: Telegram if TELEGRAM_BOT_TOKEN is set, WeChat if WECHAT_TOKEN is set, else a terminal chat."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    services = build_services(settings)
    try:
        if settings.telegram_bot_token or settings.wechat_token:
            asyncio.run(_serve_channels(services))
        else:
            from bot.channels.terminal import interactive

            click.echo(f"No TELEGRAM_BOT_TOKEN or WECHAT_TOKEN set: terminal chat over "
                       f"{services.engine.article_count} articles, {services.engine.passage_count} passages.")
            interactive(services.engine.handle)
    finally:
        services.close()
