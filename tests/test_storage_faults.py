"""Database faults never block an answer and lose nothing: a deleted file, an uncreatable path,
a PostgreSQL server that is down; and what the store keeps on disk stays private."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.records import ReloadReport
from bot.storage import Store, make_engine, open_store, spool
from bot.storage.ids import hash_id
from bot.storage.models import ReloadRow
from storage_support import KEY, exchange
from storage_support import open_store as store_on

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "1226工程是什么？"


def _rows(path: Path) -> list[str]:
    """Exchange ids in the file at PATH, read by a connection of its own (not the store's)."""
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT exchange_id FROM exchanges")]
    finally:
        connection.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which files are created world-readable unless asked otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


# -- item 5: the database file deleted under a running bot --------------------------------
@pytest.mark.parametrize("reconnected", [False, True], ids=["same-connection", "after-reconnect"])
def test_deleted_database_file_is_recreated_with_its_schema(tmp_path, capsys, umask_022, reconnected):
    path = tmp_path / "bot.sqlite3"
    store = store_on(path)
    store.record_exchange(exchange("before"))
    assert store.flush(timeout=10)
    path.unlink()
    if reconnected:
        store.engine.dispose()  # the next connection makes a new, empty file
    after = [exchange(f"after {i}") for i in range(10)]
    for record in after:
        store.record_exchange(record)
    assert store.flush(timeout=10)
    store.close()
    assert sorted(_rows(path)) == sorted(r.exchange_id for r in after)
    assert _mode(path) == 0o600
    assert "was deleted or replaced" in capsys.readouterr().err


# -- item 6: a database path that cannot be created ---------------------------------------
def test_uncreatable_database_path_warns_once_and_spools(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    bad = blocker / "x" / "bot.db"
    spooled = tmp_path / "pending.jsonl"
    store = Store(f"sqlite:///{bad}", id_hash_key=KEY, spool_path=spooled, retry_s=(0.02, 0.1))
    records = [exchange(f"q{i}") for i in range(3)]
    for record in records:
        store.record_exchange(record)
    assert store.flush(timeout=10)  # nothing left waiting: every record is in the spool
    store.close()
    err = capsys.readouterr().err
    assert err.count(str(bad)) == 1 and len(err.splitlines()) == 1, err
    assert [json.loads(line)["exchange_id"] for line in spooled.read_text().splitlines()] == [r.exchange_id for r in records]
    good = store_on(tmp_path / "good.sqlite3", spool_path=spooled)  # the next start, with a usable path
    assert good.flush(timeout=10)
    good.close()
    assert sorted(_rows(tmp_path / "good.sqlite3")) == sorted(r.exchange_id for r in records)


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=120)  # fmt: skip


def _env(data: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_"))}
    env.update(DATA_DIR=str(data), DATABASE_URL=database_url, ID_HASH_KEY="faults-key")
    return env


def _spooled_messages(data: Path) -> list[str]:
    return [json.loads(line)["message"] for line in (data / "pending-records.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("command", [["ask", QUESTION], ["chat", "--json"], ["serve"]])
def test_commands_answer_with_an_uncreatable_database_path(tmp_path, command):
    (tmp_path / "a-file").write_text("not a folder")
    bad = tmp_path / "a-file" / "x" / "bot.db"
    result = _run(command, _env(tmp_path / "data", f"sqlite:///{bad}"), stdin=QUESTION + "\n")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "“1”即一个目标" in result.stdout or "1226" in result.stdout
    assert result.stderr.count(str(bad)) == 1, result.stderr  # warned once, naming the path
    assert _spooled_messages(tmp_path / "data") == [QUESTION]


# -- item 7: PostgreSQL ---------------------------------------------------------------------
def test_postgresql_driver_is_a_dependency_and_urls_select_it():
    import psycopg  # noqa: F401  (installed with the project)

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.replace(" ", "").startswith("psycopg[binary]") for d in dependencies)
    for url in ("postgresql://bot:pw@127.0.0.1:5432/bot", "postgres://bot@127.0.0.1/bot"):
        engine = make_engine(url)
        assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
        engine.dispose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_postgresql_server_down_is_one_line_and_the_bot_answers(tmp_path):
    url = f"postgresql://bot:s3cret-pw@127.0.0.1:{_closed_port()}/bot"
    result = _run(["ask", QUESTION], _env(tmp_path / "data", url))
    assert result.returncode == 0, result.stderr
    assert "“1”即一个目标" in result.stdout or "1226" in result.stdout
    assert "Traceback" not in result.stderr and "s3cret-pw" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "cannot upgrade the database at start" in line]
    assert len(errors) == 1 and "OperationalError" in errors[0] and "bot:***@127.0.0.1" in errors[0], result.stderr
    assert sum("Connection refused" in line for line in result.stderr.splitlines()) == 1, result.stderr
    assert _spooled_messages(tmp_path / "data") == [QUESTION]


# -- item 17: privacy -----------------------------------------------------------------------
def test_reload_who_is_hashed_like_other_ids(tmp_path):
    store = store_on(tmp_path / "bot.sqlite3")
    store.record_reload(ReloadReport("telegram:11111111", "telegram"))
    store.record_reload(ReloadReport("cli", "cli"))
    assert store.flush(timeout=10)
    with store.session() as session:
        who = list(session.scalars(select(ReloadRow.who).order_by(ReloadRow.id)))
    store.close()
    assert who == [f"telegram:{hash_id('11111111', KEY)}", "cli"]


def test_database_spool_and_key_are_private(tmp_path, umask_022):
    data = tmp_path / "data"
    store = open_store(Settings(data_dir=data, database_url="", id_hash_key="change-me"))  # key file made
    store.record_exchange(exchange("q"))
    assert store.flush(timeout=10)
    store.close()
    assert _mode(data) == 0o700
    assert _mode(data / "bot.sqlite3") == 0o600 and _mode(data / "id_hash.key") == 0o600
    spool.append(tmp_path / "new" / "pending-records.jsonl", [exchange("kept")])
    assert _mode(tmp_path / "new") == 0o700 and _mode(tmp_path / "new" / "pending-records.jsonl") == 0o600


def test_db_upgrade_names_an_unusable_database_in_one_line(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bot.cli import main

    (tmp_path / "a-file").write_text("not a folder")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    for url in (f"sqlite:///{tmp_path / 'a-file' / 'x' / 'bot.db'}", f"postgresql://bot:pw@127.0.0.1:{_closed_port()}/bot"):
        monkeypatch.setenv("DATABASE_URL", url)
        result = CliRunner().invoke(main, ["db", "upgrade"])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert result.output.startswith("Error: ") and len(result.output.strip().splitlines()) == 1, result.output
