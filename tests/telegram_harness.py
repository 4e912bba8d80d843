"""Runs the real PTB Application against :mod:`fake_telegram` over HTTP on 127.0.0.1.

``running_bot(engine, …)`` builds the bot with ``build_application`` exactly as
``serve`` does, starts it with ``start_telegram`` (polling through the real HTTP
loop, short long-poll timeout) and stops it afterwards.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fake_telegram import Call, FakeTelegram
from telegram.ext import Application

from bot.app import Services
from bot.channels.telegram import build_application, serve_telegram, start_telegram, stop_telegram
from bot.config import Settings

ADMIN = 777
USER = 1001
CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@dataclass
class Bot:
    fake: FakeTelegram
    app: Application
    services: Services

    async def say(self, text: str, user: int = USER, count: int = 1, chat_id: int | None = None,
                  **content: Any) -> list[Call]:
        """A user sends ``text``; returns the ``count`` messages the bot sends to that chat next."""
        since = self.fake.mark()
        await self.fake.send_text(user, text, chat_id=chat_id, **content)
        return await self.fake.wait_for("sendMessage", count, chat_id=chat_id or user, since=since)

    async def press(self, call: Call, data: str, user: int = USER, wait: str = "sendMessage") -> list[Call]:
        """A user taps the button ``data`` under the message sent with ``call``; returns the next ``wait`` calls."""
        assert data in [d for _, d in call.buttons()], f"no button {data!r} in {call.buttons()}"
        since = self.fake.mark()
        await self.fake.press(user, self.fake.message_of(call), data)
        return await self.fake.wait_for(wait, since=since)

    async def settle(self, user: int = 4242) -> None:
        """Wait until every update sent so far was handled (updates are handled in order)."""
        await self.say("/help", user=user)


def settings_for(fake: FakeTelegram, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": fake.token,
        "telegram_api_base_url": fake.base_url,
        "admin_ids": [ADMIN],
        "rate_limit_per_minute": 1000,
        "webhook_url": "",
        "corpus_dir": CORPUS,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@asynccontextmanager
async def running_bot(engine: Any, store: Any = None, **overrides: Any) -> AsyncIterator[Bot]:
    fake = await FakeTelegram().start()
    settings = settings_for(fake, **overrides)
    services = Services(settings=settings, engine=engine, sink=engine.sink, store=store)
    app = build_application(services)
    try:
        await start_telegram(app, settings, poll_timeout=1)
        yield Bot(fake, app, services)
    finally:
        await stop_telegram(app)
        await fake.stop()


async def serve_and_ask(fake: FakeTelegram, engine: Any, text: str, user: int = USER) -> Call:
    """``serve_telegram`` as ``serve`` runs it, against ``fake``: ``text`` is asked, the answer
    returned once it arrived (the bot still serving), then the bot is stopped."""
    services = Services(settings=settings_for(fake), engine=engine, sink=engine.sink)
    stop = asyncio.Event()
    serving = asyncio.create_task(serve_telegram(services, stop))
    try:
        await fake.send_text(user, text)
        [answer] = await fake.wait_for("sendMessage", chat_id=user)
        assert not serving.done()
    finally:
        stop.set()
        await asyncio.wait_for(serving, 10)
    return answer


TAG = re.compile(r"<(/?)(\w+)[^>]*>")


def plain(html: str) -> str:
    """Message text without its tags (what the user reads, entities still escaped)."""
    return TAG.sub("", html)


def balanced(html: str) -> bool:
    """Every tag closed in order (what Telegram's HTML parser requires)."""
    stack: list[str] = []
    for closing, name in TAG.findall(html):
        if not closing:
            stack.append(name)
        elif not stack or stack.pop() != name:
            return False
    return not stack
