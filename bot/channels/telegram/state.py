"""What the Telegram handlers share, kept in ``application.bot_data``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import ContextTypes

from bot.channels.telegram.ratelimit import SlidingWindowLimiter

if TYPE_CHECKING:
    from bot.app import Services
    from bot.engine import Engine

STATE_KEY = "jinan_bot"


@dataclass
class ChannelState:
    services: "Services"
    limiter: SlidingWindowLimiter
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def engine(self) -> "Engine":
        return self.services.engine

    @property
    def store(self) -> Any:
        return self.services.store

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.services.settings.admin_ids


def state(context: ContextTypes.DEFAULT_TYPE) -> ChannelState:
    return context.bot_data[STATE_KEY]
