"""A decline's reason: stored (migration 0003), in `logs`, `logs unanswered`, the exports and /unanswered;
one builder (``exchange_of``) for the engine's and the WeChat outbox's exchange records."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text
from storage_support import exchange, sqlite_url

from bot.channels.wechat.dispatch import served_exchange
from bot.cli import main
from bot.config import Settings
from bot.messages import Incoming, Quote, Reply, ReplyKind, Source
from bot.records import exchange_of, utcnow
from bot.storage import make_engine, open_store
from bot.storage.db import downgrade, upgrade
from bot.storage.formatting import format_queue_text
from bot.storage.review import reason_kind, recent, review_queue
from bot.storage.spool import from_json, to_json

NOW = utcnow()
QINGDAO = exchange("青岛市有多少党员？", answered=False, reason="unknown name: 青岛市", now=NOW, days_ago=0.1)
QINGDAO_AGAIN = exchange("青岛市有多少党员", answered=False, reason="unknown name: 青岛市", now=NOW, days_ago=0.05)
QINGDAO_WEAK = exchange("青岛市有多少党员?", answered=False, reason="weak match (coverage 0.31)", now=NOW, days_ago=0.02)
TIANQIAO = exchange("天桥区的暖新之家在哪？", answered=False, reason="wrong place: 天桥", now=NOW, days_ago=0.2)
FORMULA = exchange("公式", answered=False, reason="=HYPERLINK(\"http://x\")", now=NOW, days_ago=0.3)
MARKUP = exchange("标记", answered=False, reason="[red]unknown name[/]: [link=http://x]x[/link]", now=NOW, days_ago=0.4)
ANSWERED = exchange("章丘区有哪些党建做法", now=NOW, days_ago=0.5)
ALL = (QINGDAO, QINGDAO_AGAIN, QINGDAO_WEAK, TIANQIAO, FORMULA, MARKUP, ANSWERED)


@pytest.fixture
def filled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path / "data" / "log.sqlite3"))
    monkeypatch.setenv("COLUMNS", "300")
    store = open_store(Settings(_env_file=None))
    for record in ALL:
        store.record_exchange(record)
    store.close()
    return tmp_path


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_declined_exchange_keeps_its_reason(filled: Path) -> None:
    store = open_store(Settings(_env_file=None))
    entries = {e.exchange_id: e for e in recent(store, limit=None)}
    items = review_queue(store)
    store.close()
    assert entries[QINGDAO.exchange_id].reason == "unknown name: 青岛市"
    assert entries[ANSWERED.exchange_id].reason == ""
    [qingdao] = [i for i in items if i.count == 3]  # three wordings, one question
    assert qingdao.reasons == [("unknown name: 青岛市", 2), ("weak match (coverage 0.31)", 1)]
    assert qingdao.reason == "unknown name: 青岛市"


def test_reason_kind_drops_the_particulars() -> None:
    assert reason_kind("unknown name: 青岛市") == "unknown name"
    assert reason_kind("weak match (coverage 0.43)") == "weak match"
    assert reason_kind("no answer of the asked type") == "no answer of the asked type"


def test_logs_unanswered_shows_reasons_and_groups_by_them(filled: Path) -> None:
    out = run("logs", "unanswered", "--format", "table")
    assert "declined because" in out
    assert "unknown name: 青岛市 · 2×, +1 other" in out
    assert "wrong place: 天桥 · 1×" in out
    assert "Declined, by reason" in out
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.count("│") == 4]
    by_reason = {row[0]: row[1:] for row in rows}
    assert by_reason["unknown name"] == ["2", "1"]  # 2 declines of 1 question
    assert by_reason["weak match"] == ["1", "1"] and by_reason["wrong place"] == ["1", "1"]
    assert "[red]unknown name[/]" in out  # markup shown, not interpreted


def test_logs_has_a_reason_column(filled: Path) -> None:
    out = run("logs", "--unanswered")
    assert "reason" in out and "wrong place: 天桥" in out


def test_exports_carry_the_reason(filled: Path) -> None:
    csv_file, jsonl_file = filled / "out.csv", filled / "out.jsonl"
    run("logs", "export", str(csv_file))
    run("logs", "export", str(jsonl_file))
    with csv_file.open(encoding="utf-8-sig", newline="") as handle:
        rows = {r["exchange_id"]: r for r in csv.DictReader(handle)}
    assert rows[TIANQIAO.exchange_id]["reason"] == "wrong place: 天桥"
    assert rows[FORMULA.exchange_id]["reason"] == "'=HYPERLINK(\"http://x\")"  # neutralised for the spreadsheet
    lines = {d["exchange_id"]: d for d in map(json.loads, jsonl_file.read_text(encoding="utf-8").splitlines())}
    assert lines[FORMULA.exchange_id]["reason"] == FORMULA.reason  # JSON Lines: unchanged
    assert lines[ANSWERED.exchange_id]["reason"] == ""


def test_telegram_queue_text_names_the_reason(filled: Path) -> None:
    store = open_store(Settings(_env_file=None))
    text_ = format_queue_text(store)
    store.close()
    assert "declined: unknown name: 青岛市 · 2×, +1 other" in text_


def test_spool_keeps_the_reason_and_reads_old_lines() -> None:
    assert from_json(to_json(QINGDAO)).reason == "unknown name: 青岛市"
    old = to_json(QINGDAO)
    del old["reason"]  # spooled before the field existed
    assert from_json(old).reason == ""


def test_migration_adds_and_drops_the_column(tmp_path: Path) -> None:
    engine = make_engine(sqlite_url(tmp_path / "db.sqlite3"))
    upgrade(engine, "0002_feedback_one_vote")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO exchanges (exchange_id, time, channel, chat_id, user_id, message, query, answered, kind, "
            "passages, best_text, reply_length, latency_ms, error) VALUES "
            "('old', '2025-01-01 00:00:00', 'cli', '', '', '旧问题', '', 0, 'no_answer', '[]', '', 0, 0, '')"
        ))  # fmt: skip
    upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT reason FROM exchanges WHERE exchange_id = 'old'")).scalar_one() == ""
    downgrade(engine, "0002_feedback_one_vote")
    assert "reason" not in {c["name"] for c in inspect(engine).get_columns("exchanges")}
    with engine.connect() as connection:  # the rows survive the downgrade
        assert connection.execute(text("SELECT message FROM exchanges")).scalar_one() == "旧问题"
    upgrade(engine)
    assert "reason" in {c["name"] for c in inspect(engine).get_columns("exchanges")}
    engine.dispose()


SOURCE = Source("001_article", "标题")
DECLINED = Reply(ReplyKind.NO_ANSWER, "zh", "青岛市有多少党员？", query="青岛市 党员", intro="抱歉",
                 quotes=[Quote("槐荫区现有党员2.7万名。", SOURCE, 3, 1.23456)], reason="unknown name: 青岛市")  # fmt: skip
MSG = Incoming("青岛市有多少党员？", chat_id="c1", user_id="u1", channel="wechat")


def test_exchange_of_takes_everything_from_the_reply() -> None:
    record = exchange_of(MSG, DECLINED, 12.34567)
    assert (record.exchange_id, record.kind, record.query, record.reason) == (
        DECLINED.exchange_id, "no_answer", "青岛市 党员", "unknown name: 青岛市")
    assert (record.channel, record.chat_id, record.user_id, record.message) == ("wechat", "c1", "u1", MSG.text)
    assert record.reply_length == len("抱歉") + len("槐荫区现有党员2.7万名。")
    assert record.latency_ms == 12.346 and record.passages[0].score == 1.2346
    assert record.best_text == "槐荫区现有党员2.7万名。" and not record.answered


def test_exchange_of_is_what_the_engine_logs(engine) -> None:
    msg = Incoming("明天上海会下雨吗？", chat_id="c2", user_id="u2", channel="cli")
    reply = engine.handle(msg)
    [logged] = engine.sink.exchanges
    built = exchange_of(msg, reply, logged.latency_ms)
    assert {**vars(built), "time": None} == {**vars(logged), "time": None}


def test_served_exchange_is_a_more_without_the_askers_reason() -> None:
    record = served_exchange(MSG, DECLINED, "第二页", 1.0)
    assert record.exchange_id != DECLINED.exchange_id and record.kind == "more"
    assert (record.reply_length, record.reason, record.error) == (len("第二页"), "", "")
    notice = served_exchange(MSG, None, "正在查询", 1.0)
    assert (notice.kind, notice.answered, notice.passages, notice.query) == ("notice", False, [], "")
