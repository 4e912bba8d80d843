"""The database sink: round-trips, concurrent writers, id hashing, and database faults."""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import timezone

import pytest
from sqlalchemy import func, select

from bot.messages import Incoming
from bot.records import Feedback, PassageRef, ReloadReport
from bot.storage import Store
from bot.storage.ids import hash_id, resolve_key
from bot.storage.models import ExchangeRow, FeedbackRow, ReloadRow
from storage_support import KEY, exchange, filled_store, open_store


def _count(store: Store, model) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _exchange_ids(store: Store) -> set[str]:
    with store.session() as session:
        return set(session.scalars(select(ExchangeRow.exchange_id)))


# -- round trips -------------------------------------------------------------------------
def test_exchange_feedback_and_reload_round_trip(tmp_path):
    record = exchange("槐荫区的红色物业是什么？", query="槐荫 红色物业", reply_length=321, latency_ms=12.5,
                      best_text="“红色物业”是……", passages=[PassageRef("001_a", 3, 7.25), PassageRef("002_b", 9, 1.5)])  # fmt: skip
    vote = Feedback(record.exchange_id, up=False, reason="引用不对", channel="telegram", chat_id="42", user_id="7")
    reload = ReloadReport("telegram:1", "telegram", ok=False, articles=12, passages=340, added=["a.txt"],
                          changed=["b.txt"], removed=["c.txt"], skipped=[("d.txt", "not UTF-8")],
                          duration_s=1.25, error="boom")  # fmt: skip
    store = filled_store(tmp_path / "db.sqlite3", record, vote, reload)
    with store.session() as session:
        row = session.scalars(select(ExchangeRow)).one()
        fb = session.scalars(select(FeedbackRow)).one()
        rl = session.scalars(select(ReloadRow)).one()
    store.close()
    assert (row.exchange_id, row.channel, row.message, row.query) == (record.exchange_id, "cli", record.message, record.query)
    assert (row.answered, row.kind, row.reply_length, row.latency_ms) == (True, "answer", 321, 12.5)
    assert row.passages == [{"article": "001_a", "paragraph": 3, "score": 7.25, "title": "", "text": ""}, {"article": "002_b", "paragraph": 9, "score": 1.5, "title": "", "text": ""}]
    assert row.best_text == record.best_text
    assert row.time == record.time and row.time.tzinfo == timezone.utc
    assert (fb.exchange_id, fb.up, fb.reason, fb.channel) == (record.exchange_id, False, "引用不对", "telegram")
    assert fb.time == vote.time
    assert (rl.who, rl.origin, rl.ok, rl.articles, rl.passages, rl.error) == (f"telegram:{hash_id('1', KEY)}", "telegram", False, 12, 340, "boom")
    assert (rl.added, rl.changed, rl.removed, rl.skipped) == (["a.txt"], ["b.txt"], ["c.txt"], [["d.txt", "not UTF-8"]])
    assert rl.duration_s == 1.25


def test_concurrent_writers_lose_no_record(tmp_path):
    store = open_store(tmp_path / "db.sqlite3")
    threads, per_thread = 16, 60
    sent: list[list[str]] = [[] for _ in range(threads)]
    start = threading.Barrier(threads)

    def chat(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            record = exchange(f"问题 {n}-{i}", chat_id=f"chat-{n}", channel=("telegram", "wechat", "cli")[n % 3])
            sent[n].append(record.exchange_id)
            store.record_exchange(record)
            if i % 10 == 0:
                store.record_feedback(Feedback(record.exchange_id, up=bool(i % 20), chat_id=f"chat-{n}"))

    workers = [threading.Thread(target=chat, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert store.flush(timeout=30)
    assert _exchange_ids(store) == {i for ids in sent for i in ids}
    assert _count(store, FeedbackRow) == threads * (per_thread // 10)
    store.close()


def test_records_written_before_close_and_after_reopen(tmp_path):
    path = tmp_path / "db.sqlite3"
    first = open_store(path)
    records = [exchange(f"q{i}") for i in range(25)]
    for record in records:
        first.record_exchange(record)
    first.close()  # no flush: close writes what is queued
    second = open_store(path)
    assert _exchange_ids(second) == {r.exchange_id for r in records}
    second.close()


# -- privacy -----------------------------------------------------------------------------
def test_ids_are_hashed_by_default(tmp_path):
    store = filled_store(tmp_path / "db.sqlite3", exchange("q", chat_id="123456789", user_id="987654321"))
    with store.session() as session:
        row = session.scalars(select(ExchangeRow)).one()
    store.close()
    assert row.chat_id == hash_id("123456789", KEY) and row.user_id == hash_id("987654321", KEY)
    assert "123456789" not in row.chat_id and "987654321" not in row.user_id
    assert hash_id("123456789", "another key") != row.chat_id


def test_raw_ids_only_when_turned_on(tmp_path):
    store = filled_store(tmp_path / "db.sqlite3", Feedback("x", True, chat_id="42", user_id="7"), store_raw_ids=True)
    with store.session() as session:
        row = session.scalars(select(FeedbackRow)).one()
    store.close()
    assert (row.chat_id, row.user_id) == ("42", "7")


def test_the_public_default_key_is_replaced_by_a_stable_secret(tmp_path):
    key_file = tmp_path / "id_hash.key"
    key = resolve_key("change-me", key_file)
    assert key != "change-me" and len(key) >= 32
    assert resolve_key("change-me", key_file) == key  # stable across restarts
    assert resolve_key("my own key", key_file) == "my own key"


# -- faults ------------------------------------------------------------------------------
def test_locked_database_keeps_records_and_the_answer_still_comes(tmp_path, capsys, make_engine):
    path = tmp_path / "db.sqlite3"
    store = open_store(path)  # schema created while the file is free
    engine = make_engine(sink=store)
    blocker = sqlite3.connect(path)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        reply = engine.handle(Incoming("槐荫区的红色物业是什么？", chat_id="c1", user_id="u1", channel="telegram"))
        others = [exchange(f"locked {i}") for i in range(10)]
        for record in others:
            store.record_exchange(record)
        assert reply.answered and reply.exchange_id
        assert not store.flush(timeout=0.3)  # nothing can be written while the lock is held
    finally:
        blocker.rollback()
        blocker.close()
    assert store.flush(timeout=10)
    assert _exchange_ids(store) == {reply.exchange_id} | {r.exchange_id for r in others}
    store.close()
    err = capsys.readouterr().err
    assert "database is locked" in err and "keeping them" in err


def test_read_only_database_spools_and_the_next_start_writes(tmp_path, capsys):
    path = tmp_path / "db.sqlite3"
    open_store(path).close()  # create the schema
    read_only = Store(f"sqlite:///file:{path}?mode=ro&uri=true", id_hash_key=KEY, retry_s=(0.02, 0.1))
    records = [exchange(f"只读 {i}") for i in range(5)]
    for record in records:
        read_only.record_exchange(record)  # never raises
    read_only.record_reload(ReloadReport("cli", "cli"))
    assert not read_only.flush(timeout=0.3)
    read_only.close()
    err = capsys.readouterr().err
    assert "readonly" in err and "kept in" in err
    assert path.with_name(path.name + ".pending.jsonl").exists()
    writable = open_store(path)  # the next start takes the spool
    assert writable.flush(timeout=10)
    assert _exchange_ids(writable) == {r.exchange_id for r in records}
    assert _count(writable, ReloadRow) == 1
    writable.close()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes read-only files anyway")
def test_file_made_read_only_then_writable_again(tmp_path, capsys):
    path = tmp_path / "db.sqlite3"
    open_store(path).close()  # create the schema
    path.chmod(0o444)
    store = open_store(path)  # SQLite opens the file read-only
    try:
        records = [exchange(f"ro {i}") for i in range(5)]
        for record in records:
            store.record_exchange(record)
        assert not store.flush(timeout=0.3)
    finally:
        path.chmod(0o644)
    assert store.flush(timeout=10)
    assert _exchange_ids(store) == {r.exchange_id for r in records}
    store.close()
    assert "readonly" in capsys.readouterr().err


def test_unreachable_database_at_start_does_not_raise(tmp_path, capsys):
    missing = tmp_path / "no such dir" / "db.sqlite3"
    store = Store(f"sqlite:///file:{missing}?mode=ro&uri=true", id_hash_key=KEY, spool_path=tmp_path / "spool.jsonl",
                  retry_s=(0.02, 0.1))  # fmt: skip
    store.record_exchange(exchange("q"))
    store.close()
    assert "cannot upgrade the database at start" in capsys.readouterr().err
    assert (tmp_path / "spool.jsonl").read_text(encoding="utf-8").count("\n") == 1
