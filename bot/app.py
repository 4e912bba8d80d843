"""Builds the running application: settings → library → sink → engine.

Every entry point (CLI, serve, tests) gets its objects from :func:`build_services`,
so the wiring lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.engine import Engine
from bot.records import NullSink, Sink


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sink: Sink
    store: Any = None  # bot.storage store when a database is configured (review queries)

    def close(self) -> None:
        closer = getattr(self.store, "close", None)
        if closer is not None:
            closer()


def build_sink(settings: Settings, *, use_database: bool = True) -> tuple[Sink, Any]:
    """The sink the engine logs to, and the store behind it (or None)."""
    if not use_database:
        return NullSink(), None
    from bot.storage import open_store  # creates data_dir, upgrades the database to head

    store = open_store(settings)
    return store, store


def build_services(settings: Settings | None = None, *, use_database: bool = True) -> Services:
    settings = settings or Settings()
    sink, store = build_sink(settings, use_database=use_database)
    engine = Engine.from_corpus(
        settings.corpus_dir,
        sink=sink,
        ttl_s=settings.conversation_ttl_s,
        model=settings.embedding_model,
        data_dir=settings.data_dir,
    )
    return Services(settings=settings, engine=engine, sink=sink, store=store)
