"""Alembic: empty → head → base → head, and the models match what the migrations build."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from test_architecture import PLATFORM, _imports

from bot.storage.db import current_revision, downgrade, head_revision, make_engine, script_location, upgrade
from bot.storage.models import Base

TABLES = {"exchanges", "feedback", "reloads", "review_marks", "corrections", "corpus_generation",
          "chat_states", "once_replies", "outbox", "rate_limits"}


def _tables(engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_are_found_without_alembic_ini():
    assert (script_location() / "env.py").exists()
    assert head_revision()


def test_upgrade_from_empty_to_head_and_back_down(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'nested' / 'db.sqlite3'}")  # the folder is created
    assert _tables(engine) == set()
    upgrade(engine)
    assert _tables(engine) == TABLES
    assert current_revision(engine) == head_revision()
    downgrade(engine, "base")
    assert _tables(engine) == set()
    assert current_revision(engine) is None
    upgrade(engine)  # and up again: the downgrade left nothing behind
    assert _tables(engine) == TABLES
    engine.dispose()


def test_models_match_the_migrations(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_twice_is_harmless(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_storage_imports_no_retrieval_internals_or_platform_sdk():
    root = Path(__file__).resolve().parent.parent
    for path in [*(root / "bot" / "storage").glob("*.py"), *(root / "migrations").rglob("*.py")]:
        assert not (_imports(path) & (PLATFORM | {"retrieval"})), path
