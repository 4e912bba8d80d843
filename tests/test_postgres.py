"""The store on a real PostgreSQL (tests/pg_support.py starts it): migrations, writes, faults, writers."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from pg_support import PgServer
from sqlalchemy import func, inspect, select, text
from storage_support import KEY, exchange
from test_storage_migrations import TABLES

from bot.records import Feedback
from bot.storage import Store
from bot.storage.db import current_revision, downgrade, head_revision, make_engine, upgrade
from bot.storage.models import ExchangeRow, FeedbackRow


def _store(url: str, **kwargs: object) -> Store:
    kwargs.setdefault("retry_s", (0.02, 0.2))
    return Store(url, id_hash_key=KEY, **kwargs)  # type: ignore[arg-type]


def _count(store: Store, model: type = ExchangeRow) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_migrations_up_down_and_up_again_on_postgresql(pg_url: str) -> None:
    engine = make_engine(pg_url)
    assert engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == TABLES
    assert current_revision(engine) == head_revision()
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
    assert current_revision(engine) is None
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == TABLES
    engine.dispose()


def test_each_revision_goes_down_and_up_on_postgresql(pg_url: str) -> None:
    """Every single step, not only base ↔ head: a downgrade that breaks halfway shows here."""
    engine = make_engine(pg_url)
    upgrade(engine)
    seen = []
    while current_revision(engine) is not None:
        seen.append(current_revision(engine))
        downgrade(engine, "-1")
    assert len(seen) >= 5 and seen[0] == head_revision()
    for revision in reversed(seen):
        upgrade(engine, revision)
        assert current_revision(engine) == revision
    engine.dispose()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+psycopg"])
def test_psycopg3_urls(postgres_server: PgServer, scheme: str) -> None:
    """postgresql:// and postgres:// (as Heroku-style hosts write it) both run on psycopg 3."""
    url = postgres_server.create_database().replace("postgresql://", f"{scheme}://", 1)
    store = _store(url)
    assert store.engine.dialect.driver == "psycopg"
    store.record_exchange(exchange("暖新之家在哪里？"))
    assert store.flush(timeout=20)
    with store.session() as session:
        row = session.scalars(select(ExchangeRow)).one()
    assert row.message == "暖新之家在哪里？" and row.time.tzinfo is not None
    assert row.chat_id != "chat-1" and len(row.chat_id) == 32  # hashed, as on SQLite
    store.close()


def test_feedback_upsert_keeps_one_vote_per_user_on_postgresql(pg_url: str) -> None:
    store = _store(pg_url)
    store.record_feedback(Feedback("ex-a", True, user_id="u1"))
    store.record_feedback(Feedback("ex-a", False, "wrong", user_id="u1"))
    store.record_feedback(Feedback("ex-a", True, user_id="u2"))
    assert store.flush(timeout=20)
    with store.session() as session:
        votes = {(r.user_id, r.up, r.reason) for r in session.scalars(select(FeedbackRow))}
    store.close()
    assert len(votes) == 2
    assert (store.mask("u1"), False, "wrong") in votes


def test_server_stopped_mid_run_then_restarted_loses_nothing(own_postgres: PgServer, capfd: pytest.CaptureFixture[str]) -> None:
    url = own_postgres.create_database()
    store = _store(url)
    store.record_exchange(exchange("before"))
    assert store.flush(timeout=20)
    own_postgres.stop()
    for n in range(3):
        store.record_exchange(exchange(f"during {n}"))
    assert not store.flush(timeout=0.5)  # kept, not written, not lost
    assert store.unwritten == 3
    own_postgres.start()
    assert store.flush(timeout=30)
    assert _count(store) == 4
    store.close()
    err = capfd.readouterr().err
    assert "keeping them and retrying" in err and "wrote 3 delayed record(s)" in err


def test_server_down_at_close_spools_and_next_start_writes(own_postgres: PgServer, tmp_path: Path) -> None:
    url = own_postgres.create_database()
    spool = tmp_path / "pending.jsonl"
    store = _store(url, spool_path=spool)
    assert store.flush(timeout=20)
    own_postgres.stop()
    store.record_exchange(exchange("said while the database was down"))
    store.close(timeout=5)
    assert spool.exists() and "said while the database was down" in spool.read_text(encoding="utf-8")
    own_postgres.start()
    again = _store(url, spool_path=spool)
    assert again.flush(timeout=30)
    assert not spool.exists()
    with again.session() as session:
        assert session.scalars(select(ExchangeRow.message)).all() == ["said while the database was down"]
    again.close()


def test_store_started_while_the_server_is_down_upgrades_later(own_postgres: PgServer) -> None:
    url = own_postgres.create_database()
    own_postgres.stop()
    store = _store(url)  # the schema cannot be made now: answering goes on, records wait
    store.record_exchange(exchange("first"))
    assert not store.flush(timeout=0.3)
    own_postgres.start()
    assert store.flush(timeout=30)
    assert _count(store) == 1
    assert current_revision(store.engine) == head_revision()
    store.close()


def test_concurrent_writers_two_stores_many_threads(pg_url: str) -> None:
    stores = [_store(pg_url), _store(pg_url)]
    errors: list[BaseException] = []

    def write(store: Store, thread: int) -> None:
        try:
            for n in range(25):
                store.record_exchange(exchange(f"t{thread} n{n}"))
                store.record_feedback(Feedback("shared-answer", n % 2 == 0, user_id=f"user-{n % 5}"))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(stores[i % 2], i)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(store.flush(timeout=30) for store in stores)
    assert not errors
    assert _count(stores[0]) == 150
    assert _count(stores[1], FeedbackRow) == 5  # one vote per user, whichever worker wrote it
    with stores[0].engine.connect() as connection:
        assert connection.execute(text("select count(distinct exchange_id) from exchanges")).scalar() == 150
    for store in stores:
        store.close()
