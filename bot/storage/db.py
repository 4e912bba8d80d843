"""Engines and schema upgrades through Alembic's programmatic API (no alembic.ini)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def script_location() -> Path:
    """The top-level ``migrations/`` folder, wherever the package was installed from."""
    spec = importlib.util.find_spec("migrations")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            if (Path(location) / "env.py").exists():
                return Path(location)
    return PROJECT_ROOT / "migrations"


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (None for memory or other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    database = parsed.database
    if database.startswith("file:"):
        database = database[5:].split("?", 1)[0]
    return Path(database)


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` select psycopg 3, the driver installed with the project.

    SQLAlchemy 2.0 maps a bare ``postgresql://`` to psycopg2 and 2.1 to psycopg; naming the
    driver (SQLAlchemy's "dialect+driver" URL form) makes both use the one we ship. A URL that
    names another driver is left as the admin wrote it.
    """
    scheme, sep, rest = url.partition("://")
    if sep and scheme in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    return url


def shown_url(url: str) -> str:
    """URL as it may be shown: the password hidden (a SQLite path exactly as written)."""
    parsed = make_url(url)
    return parsed.render_as_string(hide_password=True) if parsed.password else url


def prepare_sqlite_file(url: str) -> Path | None:
    """Create a SQLite file's folder (0700) and the empty file itself (0600) if missing.

    SQLite creates new database files 0644 and gives its journal and WAL files the database
    file's permissions, so an empty file made here private keeps every file of the database
    private. ``file:`` URIs (read-only or shared-cache modes) only get their folder.
    Raises OSError when the folder or file cannot be created.
    """
    path = sqlite_path(url)
    if path is None:
        return None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not make_url(url).database.startswith("file:"):
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
    return path


def make_engine(url: str, *, busy_timeout_s: float = 5.0, prepare: bool = True) -> Engine:
    """An engine for URL; a SQLite file is created private (unless PREPARE is off), lock waits are bounded."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})  # libpq waits forever
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if prepare:
        prepare_sqlite_file(url)
    return create_engine(url, connect_args={"timeout": busy_timeout_s, "check_same_thread": False})


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if engine is not None:
        config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


_MIGRATION_LOCK = 0x6A696E616E  # a PostgreSQL advisory lock id: one migration at a time


def _run(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":  # workers starting together on an empty database:
            # the others wait here, then find the schema at head (held until this transaction ends)
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    _run(engine, "downgrade", revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
