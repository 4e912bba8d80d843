"""``serve``: run every configured channel; the terminal chat when none is."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from types import FrameType

import click

from bot.app import Services, build_services
from bot.config import Settings
from bot.storage.formatting import visible
from bot.workers import run_workers, telegram_parts, why_not_workers

log = logging.getLogger("bot.serve")


async def _serve_channels(services: Services) -> None:
    """Telegram (when a token is set) and the HTTP server (WeChat and/or the admin console), together.

    One stop event ends both: uvicorn owns SIGINT/SIGTERM when it runs and sets the event
    when it exits; otherwise the event is set by the signal handlers installed here.
    """
    stop = asyncio.Event()
    runs = []
    telegram_app, webhook = telegram_parts(services)  # in webhook mode Telegram is a route of the HTTP app
    runs_http = bool(services.settings.wechat_token or services.settings.admin_password or webhook)
    if runs_http:
        from bot.http_app import build_http_app, http_server, log_console_url

        server = http_server(services, build_http_app(services, routes=webhook))
        log_console_url(services.settings)

        async def http_until_exit() -> None:
            try:
                await server.serve()
            finally:
                stop.set()

        runs.append(http_until_exit())
    else:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    if services.settings.telegram_bot_token:
        from bot.channels.telegram.app import serve_telegram

        async def telegram() -> None:
            try:
                await serve_telegram(services, stop, app=telegram_app)
            except Exception:
                if not runs_http:
                    raise
                log.exception("telegram could not start; the HTTP channels keep running")

        runs.append(telegram())
    await asyncio.gather(*runs)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def stopped_by_signals(closing: Callable[[], None]) -> Iterator[None]:
    """SIGTERM stops the body the way Ctrl-C (SIGINT) does; then CLOSING runs, and no signal cuts it short.

    systemd and Docker stop a service with SIGTERM, whose default action kills the process
    before any ``finally`` runs; uvicorn re-raises the signal after its own shutdown for the
    same effect. Here SIGTERM raises KeyboardInterrupt instead, so the store is always closed
    (written, or spooled for the next start); a stop by either signal exits with status 0.
    The previous handlers are back afterwards.
    """
    stops = (signal.SIGINT, signal.SIGTERM)
    main_thread = threading.current_thread() is threading.main_thread()
    previous = {sig: signal.getsignal(sig) for sig in stops} if main_thread else {}
    if main_thread:
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        with suppress(KeyboardInterrupt):
            yield
    finally:
        try:
            for sig in previous:  # closing is bounded: the store's last attempt, then the spool
                signal.signal(sig, signal.SIG_IGN)
            closing()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


@contextmanager
def running(build: Callable[[], Services]) -> Iterator[Services]:
    """The services BUILD makes, closed however the body ends: normally, on an error, or stopped by
    Ctrl-C or SIGTERM (:func:`stopped_by_signals`; then the command exits 0, even during BUILD)."""
    started: list[Services] = []
    with stopped_by_signals(lambda: [services.close() for services in started]):
        started.append(build())
        yield started[0]
    if not started:
        raise SystemExit(0)  # stopped while building: no body to run


def warn_skipped(services: Services) -> None:
    """One warning on stderr for each corpus file or word list the library left out, with the reason."""
    for name, reason in services.engine.library.skipped:
        click.echo(f"warning: skipped {visible(name)}: {visible(reason)}", err=True)


@click.command()
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="worker processes for the HTTP app (WeChat, console, Telegram webhook); they share the database")
def serve(workers: int) -> None:
    """Run the bot: Telegram if TELEGRAM_BOT_TOKEN is set, WeChat if WECHAT_TOKEN is set, the admin
    console at /admin if ADMIN_PASSWORD is set; else a terminal chat."""
    settings = Settings()
    channels = bool(settings.telegram_bot_token or settings.wechat_token or settings.admin_password)
    if workers > 1:
        problem = why_not_workers(settings, workers)
        if problem:
            raise click.UsageError(problem)
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        run_workers(settings, workers)
        return
    # a server logs what it does; the terminal chat keeps the screen for the conversation
    logging.basicConfig(
        level=logging.INFO if channels else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    with running(lambda: build_services(settings)) as services:
        warn_skipped(services)
        services.engine.warm_up()
        services.start_watching()  # a reload published by any process reaches this one (closed with services)
        if channels:
            asyncio.run(_serve_channels(services))
        else:
            from bot.channels.terminal import interactive

            click.echo(f"No TELEGRAM_BOT_TOKEN or WECHAT_TOKEN set: terminal chat over "
                       f"{services.engine.article_count} articles, {services.engine.passage_count} passages.")
            interactive(services.engine.handle)
