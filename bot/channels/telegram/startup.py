"""Starting the bot when the Bot API is away, and never showing the token.

A network error or a 5xx (PTB raises both as :class:`~telegram.error.NetworkError`) or a 429
(:class:`~telegram.error.RetryAfter`) at start-up is retried with exponential backoff until it
works or the bot is told to stop; each wait is logged. A rejected token (401/404, PTB's
:class:`~telegram.error.InvalidToken`, whose message quotes the whole token) ends the start with
:class:`TelegramStartError`, whose text names no token and which drops the library's exception.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from collections.abc import Awaitable, Callable, Iterator

from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError

log = logging.getLogger(__name__)

FIRST_DELAY_S = 1.0
MAX_DELAY_S = 60.0
FACTOR = 2.0


class TelegramStartError(RuntimeError):
    """The bot cannot start and retrying will not help (the token was refused, a bad request …)."""


def redact(text: str, token: str) -> str:
    """``text`` with the bot token (and its secret half alone) replaced by ``***``."""
    if token:
        text = text.replace(token, "***")
        secret = token.partition(":")[2]
        if len(secret) >= 8:
            text = text.replace(secret, "***")
    return text


def delays(first: float | None = None, cap: float | None = None) -> Iterator[float]:
    """1, 2, 4 … seconds, at most ``cap`` (read at call time, so tests can shorten them)."""
    delay = FIRST_DELAY_S if first is None else first
    cap = MAX_DELAY_S if cap is None else cap
    while True:
        yield min(delay, cap)
        delay *= FACTOR


async def start_with_retry(start: Callable[[], Awaitable[None]], token: str, stop: asyncio.Event | None) -> bool:
    """Run ``start`` until it succeeds (True) or ``stop`` is set while waiting to retry (False).

    ``start`` must be safe to call again after a failure part-way through.
    """
    waits = delays()
    attempt = 0
    while True:
        attempt += 1
        try:
            await start()
        except InvalidToken:
            log.error("telegram: the Bot API refused TELEGRAM_BOT_TOKEN (401/404); check it with @BotFather")
            raise TelegramStartError("the Bot API refused TELEGRAM_BOT_TOKEN; check it with @BotFather") from None
        except (NetworkError, RetryAfter) as exc:  # unreachable, timed out, 5xx, flood control
            wait = next(waits)
            if isinstance(exc, RetryAfter):  # an int or a timedelta, depending on PTB's settings
                after = exc.retry_after
                wait = max(wait, after.total_seconds() if isinstance(after, timedelta) else float(after))
            log.warning("telegram: the Bot API is not reachable (%s: %s); retrying in %.0f s (attempt %d)",
                        type(exc).__name__, redact(str(exc), token), wait, attempt)
            if stop is None:
                await asyncio.sleep(wait)
            else:
                try:
                    await asyncio.wait_for(stop.wait(), wait)
                except TimeoutError:
                    pass
                else:
                    log.info("telegram: stopped before the Bot API could be reached")
                    return False
            continue
        except TelegramError as exc:
            message = redact(str(exc), token)
            log.error("telegram: cannot start (%s: %s)", type(exc).__name__, message)
            raise TelegramStartError(f"telegram: cannot start ({type(exc).__name__}: {message})") from None
        if attempt > 1:
            log.info("telegram: connected to the Bot API after %d attempts", attempt)
        return True
