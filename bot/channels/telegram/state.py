"""What the Telegram handlers share, kept in ``application.bot_data``."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from telegram.ext import ContextTypes

from bot.channels.telegram.ratelimit import SharedLimiter, SlidingWindowLimiter
from bot.storage.ids import DEFAULT_KEY, hash_id

if TYPE_CHECKING:
    from bot.app import Services
    from bot.engine import Engine

STATE_KEY = "jinan_bot"


@dataclass
class ChannelState:
    services: "Services"
    limiter: SlidingWindowLimiter | SharedLimiter
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    log_key: str = ""  # the key ids are hashed with in log lines (see ``log_id``)

    def __post_init__(self) -> None:
        if not self.log_key:
            self.log_key = log_key(self.services)

    def log_id(self, raw: int | str | None) -> str:
        """How a Telegram user or chat id appears in a log line: its keyed hash, never the id."""
        return hash_id("" if raw is None else str(raw), self.log_key) or "-"

    @property
    def engine(self) -> "Engine":
        return self.services.engine

    @property
    def store(self) -> Any:
        return self.services.store

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.services.settings.admin_ids


def log_key(services: "Services") -> str:
    """The store's id-hash key, so a hashed id in the log matches the database's user_id column;
    a random per-process key when there is no store or its key is the public default."""
    key = getattr(getattr(services.store, "mask", None), "key", "")
    return key if key and key != DEFAULT_KEY else secrets.token_hex(32)


def state(context: ContextTypes.DEFAULT_TYPE) -> ChannelState:
    return context.bot_data[STATE_KEY]
