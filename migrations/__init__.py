"""Alembic migrations for bot.storage (found by ``bot.storage.db.script_location``)."""
