"""Conversation states in the database: every worker on it continues every chat."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.conversation import ChatState
from bot.state.codec import state_from_json, state_to_json
from bot.storage.faults import report
from bot.storage.shared import SharedState

T = TypeVar("T")


class DatabaseStates:
    """A :class:`bot.conversation.StateStore` over :class:`SharedState`: JSON per (channel, hashed
    chat id), expired by time. Each load is a fresh object (another worker may have moved on).

    The database failing never fails a turn: the turn starts afresh (no earlier topic) and is not
    kept; that is said once per outage on stderr. For a few seconds after a failure
    :class:`SharedState` does not ask the database at all, so replies do not wait on connection
    timeouts."""

    def __init__(self, shared: SharedState) -> None:
        self.shared = shared
        self._failing = False

    def _guard(self, call: Callable[[], T], fallback: T) -> T:
        try:
            result = call()
        except Exception as exc:
            if not self._failing:
                report(f"conversation state unavailable ({type(exc).__name__}); turns start afresh until it is back")
                self._failing = True
            return fallback
        if self._failing:
            report("conversation state available again")
            self._failing = False
        return result

    def load(self, channel: str, chat_id: str) -> ChatState | None:
        data = self._guard(lambda: self.shared.load_chat(channel, chat_id), None)
        return None if data is None else state_from_json(data)

    def save(self, channel: str, chat_id: str, state: ChatState, ttl_s: float) -> None:
        self._guard(lambda: self.shared.save_chat(channel, chat_id, state_to_json(state), ttl_s), None)

    def drop(self, channel: str, chat_id: str) -> None:
        self._guard(lambda: self.shared.drop_chat(channel, chat_id), None)
