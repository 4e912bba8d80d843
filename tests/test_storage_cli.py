"""``db``, ``logs`` and ``stats`` through click's runner, on a temp database filled with built records."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect
from storage_support import exchange, sqlite_url

from bot.cli import main
from bot.config import Settings
from bot.records import Feedback, utcnow
from bot.storage import make_engine, open_store
from bot.storage.db import head_revision
from bot.storage.review import Filters, recent

TODAY = utcnow()  # the CLI filters by the real clock
UNANSWERED = exchange("火星上有什么？", answered=False, channel="telegram", days_ago=0.3, now=TODAY)
UNANSWERED_TRAD = exchange("火星上有什麼", answered=False, channel="wechat", days_ago=0.2, now=TODAY)
ANSWERED = exchange("章丘区有哪些党建做法", best_text="章丘区的党建做法段落", days_ago=2, now=TODAY)
DOWNVOTED = exchange("历下区的志愿服务", best_text="历下区志愿服务段落", days_ago=1, now=TODAY)
OLD = exchange("很久以前的问题", days_ago=400, now=TODAY)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path / "data" / "log.sqlite3"))
    monkeypatch.setenv("COLUMNS", "220")  # rich tables wide enough to keep each question on one line
    return tmp_path


@pytest.fixture
def filled(env):
    store = open_store(Settings(_env_file=None))
    for record in (UNANSWERED, UNANSWERED_TRAD, ANSWERED, DOWNVOTED, OLD):
        store.record_exchange(record)
    store.record_feedback(Feedback(DOWNVOTED.exchange_id, up=False, channel="cli"))
    store.close()
    return env


def run(*args: str, code: int = 0, stderr: bool = False) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.stderr if stderr else result.stdout


def test_logs_lists_recent_exchanges(filled):
    out = run("logs", "--format", "table")
    for record in (UNANSWERED, UNANSWERED_TRAD, ANSWERED, DOWNVOTED, OLD):
        assert record.message in out
    assert "5 exchange(s)" in out


def test_logs_piped_is_one_line_per_exchange(filled):
    """Not a terminal (CliRunner's stdout): a header, then one tab-separated line per exchange."""
    header, *lines = run("logs").splitlines()
    assert header.split("\t")[:6] == ["time", "channel", "source", "answered", "kind", "question"]
    assert sorted(line.split("\t")[5] for line in lines) == sorted(
        r.message for r in (UNANSWERED, UNANSWERED_TRAD, ANSWERED, DOWNVOTED, OLD))


@pytest.mark.parametrize(
    ("args", "shown", "hidden"),
    [
        (["--unanswered"], [UNANSWERED, UNANSWERED_TRAD], [ANSWERED, DOWNVOTED]),
        (["--negative"], [DOWNVOTED], [UNANSWERED, ANSWERED]),
        (["--channel", "wechat"], [UNANSWERED_TRAD], [UNANSWERED, ANSWERED]),
        (["--search", "火星上有什麼"], [UNANSWERED, UNANSWERED_TRAD], [ANSWERED]),
        (["--since", "30d"], [ANSWERED], [OLD]),
        (["--limit", "1"], [UNANSWERED_TRAD], [UNANSWERED, ANSWERED, DOWNVOTED, OLD]),  # the newest only
    ],
)
def test_logs_filters(filled, args, shown, hidden):
    out = run("logs", *args)
    assert all(r.message in out for r in shown), out
    assert not any(r.message in out for r in hidden), out


def test_logs_unanswered_is_the_grouped_review_queue(filled):
    out = run("logs", "unanswered", "--format", "table")
    assert "Review queue: 2 question(s)" in out
    assert "+1 variants" in out  # 火星上有什么？ and 火星上有什麼 are one question
    assert DOWNVOTED.message in out and "历下区志愿服务段落" in out
    assert ANSWERED.message not in out


def test_logs_export_csv_and_jsonl(filled):
    csv_file, jsonl_file = filled / "all.csv", filled / "unanswered.jsonl"
    run("logs", "export", "--format", "csv", str(csv_file))
    run("logs", "export", "--unanswered", str(jsonl_file))
    with csv_file.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["message"] for r in rows) == sorted(r.message for r in (UNANSWERED, UNANSWERED_TRAD, ANSWERED, DOWNVOTED, OLD))
    lines = [json.loads(line) for line in jsonl_file.read_text(encoding="utf-8").splitlines()]
    assert {line["exchange_id"] for line in lines} == {UNANSWERED.exchange_id, UNANSWERED_TRAD.exchange_id}


def test_logs_purge(filled):
    out = run("logs", "purge", "--older-than", "180d")
    assert "purged 1 exchanges" in out
    store = open_store(Settings(_env_file=None))
    remaining = {e.exchange_id for e in recent(store, limit=None)}
    store.close()
    assert OLD.exchange_id not in remaining and ANSWERED.exchange_id in remaining


def test_stats_command(filled):
    out = run("stats", "--format", "table")
    assert "5 questions" in out and "answered 3 (60%)" in out  # ANSWERED, DOWNVOTED, OLD
    assert "👎 1" in out and "Per channel" in out and "telegram" in out
    assert "火星上有什么？" in out or "火星上有什麼" in out


def test_empty_database_says_so(env):
    assert "No exchanges logged yet" in run("logs", "--format", "table")
    assert "empty" in run("logs", "unanswered", "--format", "table")
    assert "No questions logged yet" in run("stats", "--format", "table")
    for args in (["logs"], ["logs", "--format", "json"], ["logs", "unanswered"]):
        assert run(*args) == ""  # piped: stdout holds data only, the notice goes to stderr
    assert "No exchanges logged yet" in run("logs", stderr=True)
    assert "empty" in run("logs", "unanswered", stderr=True)


def test_bad_ages_are_usage_errors(env):
    run("logs", "--since", "yesterday-ish", code=2)
    run("logs", "purge", "--older-than", "soon", code=2)


def test_db_downgrade_and_upgrade(env):
    run("db", "upgrade")
    engine = make_engine(sqlite_url(env / "data" / "log.sqlite3"))
    assert "exchanges" in inspect(engine).get_table_names()
    assert "at revision base" in run("db", "downgrade", "base")
    assert "exchanges" not in inspect(engine).get_table_names()
    assert f"at revision {head_revision()}" in run("db", "upgrade")
    assert "exchanges" in inspect(engine).get_table_names()
    engine.dispose()


def test_cli_ask_is_logged_with_channel_cli(env):
    run("ask", "章丘区有哪些党建做法？")
    store = open_store(Settings(_env_file=None))
    [entry] = recent(store, Filters(source=None), limit=None)
    user_traffic = recent(store, limit=None)
    store.close()
    assert (entry.channel, entry.message, entry.source) == ("cli", "章丘区有哪些党建做法？", "ask")
    assert user_traffic == []  # an `ask` run is not user traffic
    assert entry.chat_id and entry.chat_id != "cli-ask"  # hashed
