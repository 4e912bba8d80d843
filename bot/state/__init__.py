"""State several workers share: conversation states, and what the channels keep per user.

With a database (``Services.store``), :func:`shared_state` gives the :class:`SharedState` over the
store's engine (ids hashed with the store's key) and :func:`open_states` the conversation-state
store the engine takes (``Engine(..., states=...)``); without one, everything stays in memory.
"""

from __future__ import annotations

from typing import Any

from bot.conversation import MemoryStates, StateStore
from bot.state.database import DatabaseStates
from bot.storage.shared import SharedState


def shared_state(store: Any) -> SharedState | None:
    """The shared state in STORE's database (a ``bot.storage.Store``); None without a store."""
    if store is None:
        return None
    return SharedState(store.engine, store.mask)


def open_states(store: Any) -> StateStore:
    """Conversation states in STORE's database, or in memory when there is no store."""
    shared = shared_state(store)
    return DatabaseStates(shared) if shared is not None else MemoryStates()


__all__ = ["DatabaseStates", "MemoryStates", "SharedState", "StateStore", "open_states", "shared_state"]
