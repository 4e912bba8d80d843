"""Storage: the query log, feedback and reload history (SQLAlchemy 2 + Alembic).

:class:`~bot.storage.store.Store` implements the engine's ``Sink`` protocol and writes off
the reply path; :mod:`bot.storage.review` holds the admin's queries and text formatters.
Nothing here imports retrieval internals or a platform SDK.
"""

from bot.storage.db import make_engine, upgrade
from bot.storage.store import Store, open_store

__all__ = ["Store", "make_engine", "open_store", "upgrade"]
