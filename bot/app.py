"""Builds the running application: settings → library → sink → engine.

Every entry point (CLI, serve, tests) gets its objects from :func:`build_services`,
so the wiring lives in one place. A reload goes through :meth:`Services.reload`, which
publishes the corpus generation every running process watches (:mod:`bot.reloading`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.correcting import correct, list_corrections, load_corrections, remove_correction
from bot.corrections import Correction
from bot.engine import Engine
from bot.records import NullSink, ReloadReport, Sink
from bot.reloading import GenerationWatcher, ProcessGeneration
from bot.state import open_states


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sink: Sink
    store: Any = None  # bot.storage store when a database is configured (review queries)
    generation: ProcessGeneration = field(default=None)  # type: ignore[assignment]  # set in __post_init__
    watcher: GenerationWatcher | None = None

    def __post_init__(self) -> None:
        if self.generation is None:
            self.generation = ProcessGeneration(self.store)

    def reload(self, who: str, origin: str, *, previous: dict[str, str] | None = None) -> ReloadReport:
        """Rebuild this process's index from corpus/; when it succeeds, publish a new corpus
        generation so every other running process rebuilds too. PREVIOUS: see ``Engine.reload``."""
        extra = {} if previous is None else {"previous": previous}
        return self.generation.rebuild(lambda: self.engine.reload(who, origin, **extra), publish=True, origin=origin)

    def refresh(self, origin: str = "sync") -> ReloadReport:
        """Rebuild this process's index because another process published a newer generation,
        and take up the answer corrections in force (they are published the same way)."""
        report = self.generation.rebuild(lambda: self.engine.reload("", origin), publish=False, origin=origin)
        load_corrections(self)
        return report

    def publish(self, origin: str) -> None:
        """Tell every other running process to refresh (this one is up to date)."""
        self.generation.announce(origin)

    # -- the admin's answer corrections (bot.correcting) ------------------------------
    def correct(self, question: str, article: str, paragraph: int, who: str = "") -> Correction:
        """From now on QUESTION and close paraphrases are answered with that passage, in every process."""
        return correct(self, question, article, paragraph, who)

    def corrections(self) -> list[dict[str, Any]]:
        return list_corrections(self)

    def remove_correction(self, correction_id: int) -> bool:
        return remove_correction(self, correction_id)

    def start_watching(self, interval_s: float | None = None) -> GenerationWatcher | None:
        """Poll the corpus generation in a daemon thread (stopped by :meth:`close`); None without a database."""
        if self.store is None:
            return None
        if self.watcher is None:
            poll = self.settings.reload_poll_s if interval_s is None else interval_s
            self.watcher = GenerationWatcher(self, poll).start()
        return self.watcher

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
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
    generation = ProcessGeneration(store)  # read before the library is built: a reload meanwhile is seen
    engine = Engine.from_corpus(
        settings.corpus_dir,
        sink=sink,
        ttl_s=settings.conversation_ttl_s,
        model=settings.embedding_model,
        data_dir=settings.data_dir,
        states=open_states(store),  # in the database with one: every process of the deployment continues every chat
    )
    services = Services(settings=settings, engine=engine, sink=sink, store=store, generation=generation)
    load_corrections(services, quiet=True)  # a database down at start is reported once, by the store
    return services
