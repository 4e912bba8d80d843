"""Conversation states in the database: every worker on it continues every chat."""

from __future__ import annotations

from bot.conversation import ChatState
from bot.state.codec import state_from_json, state_to_json
from bot.storage.shared import SharedState


class DatabaseStates:
    """A :class:`bot.conversation.StateStore` over :class:`SharedState`: JSON per (channel, hashed
    chat id), expired by time. Each load is a fresh object (another worker may have moved on)."""

    def __init__(self, shared: SharedState) -> None:
        self.shared = shared

    def load(self, channel: str, chat_id: str) -> ChatState | None:
        data = self.shared.load_chat(channel, chat_id)
        return None if data is None else state_from_json(data)

    def save(self, channel: str, chat_id: str, state: ChatState, ttl_s: float) -> None:
        self.shared.save_chat(channel, chat_id, state_to_json(state), ttl_s)

    def drop(self, channel: str, chat_id: str) -> None:
        self.shared.drop_chat(channel, chat_id)
