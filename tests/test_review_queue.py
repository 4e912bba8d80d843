"""What the admin reviews (issue 10, storage side): low-confidence answers and handled marks in the review
queue, a decline's best passage, traffic sources, the new filters, the reply in the exports, stats by source
and time zone."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from storage_support import NOW, exchange, filled_store

from bot.records import Feedback, PassageRef
from bot.storage.export import export
from bot.storage.marks import handled_keys, mark_handled, unmark
from bot.storage.models import ReviewMarkRow
from bot.storage.normalize import question_key
from bot.storage.periods import day_of, local_iso, parse_zone, short_time
from bot.storage.review import Filters, recent, review_queue
from bot.storage.stats import compute_stats

BELOW = 0.9
HAD = PassageRef("003_huaiyin", 2, 0.61, "槐荫区红色物业", "槐荫区推行“红色物业”，把党支部建在小区上。")
DECLINED = exchange("槐蔭區的「紅色物業」是什麼？", answered=False, days_ago=3, reason="weak match", passages=[HAD])
LOW = exchange("章丘区的两个统筹是什么", days_ago=2, confidence=0.8, reply="统筹基层基础……\n——《章丘》")
SURE = exchange("暖新之家有多大", days_ago=2, confidence=1.3, reply="300平方米")
UNRECORDED = exchange("老问题", days_ago=2, confidence=0.0)  # logged before confidences were: never "low"
ASKED = exchange("ask 跑的问题", answered=False, days_ago=1, source="ask", reply="没有找到")
EVAL = exchange("eval 跑的问题", days_ago=1, source="eval", confidence=0.5)
FORMULA_REPLY = exchange("公式回复", days_ago=1, confidence=1.2, reply="=HYPERLINK(\"http://x\")")


@pytest.fixture
def store(tmp_path: Path):
    store = filled_store(tmp_path / "db.sqlite3", DECLINED, LOW, SURE, UNRECORDED, ASKED, EVAL, FORMULA_REPLY)
    yield store
    store.close()


def _keys(items) -> set[str]:
    return {i.key for i in items}


def test_low_confidence_answers_join_the_queue_only_below_the_given_threshold(store) -> None:
    assert _keys(review_queue(store)) == {question_key(DECLINED.message)}  # no threshold: declines and 👎 only
    items = {i.key: i for i in review_queue(store, low_confidence_below=BELOW)}
    assert set(items) == {question_key(DECLINED.message), question_key(LOW.message)}  # not SURE, UNRECORDED, EVAL
    low = items[question_key(LOW.message)]
    assert (low.count, low.unanswered, low.negative, low.low_confidence) == (1, 0, 0, 1)
    assert low.lowest_confidence == pytest.approx(0.8)
    assert items[question_key(DECLINED.message)].low_confidence == 0
    assert question_key(LOW.message) not in _keys(review_queue(store, low_confidence_below=0.8))  # strictly below


def test_only_user_traffic_is_reviewed(store) -> None:
    keys = _keys(review_queue(store, low_confidence_below=BELOW, include_handled=True))
    assert question_key(ASKED.message) not in keys and question_key(EVAL.message) not in keys


def test_a_declines_best_passage_is_the_one_the_bot_had(store) -> None:
    [item] = [i for i in review_queue(store) if i.key == question_key(DECLINED.message)]
    assert (item.best_article, item.best_title, item.best_text) == (HAD.article, HAD.title, HAD.text)
    assert item.best_score == pytest.approx(HAD.score)


def test_handled_marks_hide_a_question_until_it_is_asked_again(tmp_path: Path) -> None:
    store = filled_store(tmp_path / "db.sqlite3", DECLINED, LOW)
    key = question_key("槐荫区的红色物业是什么")  # marked in simplified: the traditional wording is the same question
    assert key == question_key(DECLINED.message)
    mark_handled(store, key, "槐荫区的红色物业是什么", who="cli:admin", note="added an article", now=NOW)
    assert handled_keys(store) == {key}
    assert key not in _keys(review_queue(store, low_confidence_below=BELOW))
    [kept] = [i for i in review_queue(store, include_handled=True) if i.key == key]
    assert kept.handled and kept.handled_at == NOW
    store.record_exchange(exchange("槐荫区的 红色物业 是什么？", answered=False, now=NOW + timedelta(minutes=5)))
    assert store.flush(timeout=10)
    [back] = [i for i in review_queue(store) if i.key == key]  # asked again after the mark: back on the queue
    assert not back.handled and back.handled_at == NOW and back.count == 2
    mark_handled(store, key, "again", now=NOW + timedelta(hours=1))  # a second mark moves the first
    assert key not in _keys(review_queue(store))
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(ReviewMarkRow)) == 1
    unmark(store, key)
    assert key in _keys(review_queue(store)) and handled_keys(store) == set()
    unmark(store, key)  # nothing to remove: no error
    store.close()


def test_a_later_downvote_brings_a_handled_question_back(tmp_path: Path) -> None:
    answered = exchange("历下区的志愿服务", days_ago=1, confidence=0.8)
    store = filled_store(tmp_path / "db.sqlite3", answered)
    key = question_key(answered.message)
    mark_handled(store, key, answered.message, now=NOW - timedelta(hours=1))
    assert key not in _keys(review_queue(store, low_confidence_below=BELOW))
    store.record_feedback(Feedback(answered.exchange_id, up=False, time=NOW))
    assert store.flush(timeout=10)
    [item] = review_queue(store, low_confidence_below=BELOW)
    assert (item.key, item.handled, item.negative, item.low_confidence) == (key, False, 1, 1)
    store.close()


def test_an_empty_key_cannot_be_marked(store) -> None:
    with pytest.raises(ValueError):
        mark_handled(store, "  ", "")
    assert handled_keys(store) == set()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), [DECLINED, LOW, SURE, UNRECORDED, FORMULA_REPLY]),  # user traffic by default
        (Filters(source=None), [DECLINED, LOW, SURE, UNRECORDED, ASKED, EVAL, FORMULA_REPLY]),
        (Filters(source="ask"), [ASKED]),
        (Filters(answered=False), [DECLINED]),
        (Filters(answered=True), [LOW, SURE, UNRECORDED, FORMULA_REPLY]),
        (Filters(until=NOW - timedelta(days=2)), [DECLINED]),  # exclusive: LOW and SURE are at exactly 2 days
        (Filters(since=NOW - timedelta(days=2), until=NOW - timedelta(days=1)), [LOW, SURE, UNRECORDED]),
        (Filters(search="300平方米"), [SURE]),  # the reply is searched too
        (Filters(search="没有找到", source=None), [ASKED]),
    ],
)
def test_filters(store, filters: Filters, expected: list) -> None:
    assert {e.exchange_id for e in recent(store, filters, limit=None)} == {e.exchange_id for e in expected}


def test_entries_carry_reply_confidence_and_source(store) -> None:
    entries = {e.exchange_id: e for e in recent(store, Filters(source=None), limit=None)}
    assert (entries[LOW.exchange_id].reply, entries[LOW.exchange_id].confidence) == (LOW.reply, pytest.approx(0.8))
    assert entries[EVAL.exchange_id].source == "eval" and entries[LOW.exchange_id].source == "user"


def test_exports_carry_the_reply(store, tmp_path: Path) -> None:
    export(store, tmp_path / "log.csv", "csv")
    export(store, tmp_path / "log.jsonl", "jsonl")
    with (tmp_path / "log.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = {r["exchange_id"]: r for r in csv.DictReader(handle)}
    lines = {d["exchange_id"]: d for d in map(json.loads, (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines())}
    assert rows[LOW.exchange_id]["reply"] == lines[LOW.exchange_id]["reply"] == LOW.reply  # line breaks kept
    assert rows[FORMULA_REPLY.exchange_id]["reply"] == "'" + FORMULA_REPLY.reply  # CSV-injection guard covers it
    assert lines[FORMULA_REPLY.exchange_id]["reply"] == FORMULA_REPLY.reply
    assert lines[LOW.exchange_id]["source"] == "user" and ASKED.exchange_id not in lines  # user traffic by default
    assert json.loads(rows[DECLINED.exchange_id]["passages"])[0]["text"] == HAD.text


def test_stats_leave_out_ask_and_eval_runs(tmp_path: Path) -> None:
    ask = exchange("ask 问题", source="ask", days_ago=0.5)
    records = [exchange("用户问题", days_ago=0.5), exchange("用户问题二", answered=False, days_ago=0.5), ask,
               exchange("eval 问题", source="eval", answered=False, days_ago=0.5),
               Feedback(ask.exchange_id, up=False, channel="cli")]  # fmt: skip
    store = filled_store(tmp_path / "db.sqlite3", *records)
    users = compute_stats(store)
    everyone = compute_stats(store, sources=None)
    store.close()
    assert (users.total.questions, users.total.answered, users.exchanges, users.left_out) == (2, 1, 2, 2)
    assert users.total.down == 0  # the 👎 on an ask run is not counted either
    assert {t for t, _ in users.top_questions} == {"用户问题", "用户问题二"}
    assert (everyone.total.questions, everyone.exchanges, everyone.left_out, everyone.total.down) == (4, 4, 0, 1)


def test_stats_count_days_in_the_admins_zone(tmp_path: Path) -> None:
    late = exchange("深夜的问题", time=datetime(2025, 3, 9, 20, 0, tzinfo=timezone.utc))  # 04:00 on the 10th in Shanghai
    store = filled_store(tmp_path / "db.sqlite3", late)
    assert list(compute_stats(store).per_day) == [date(2025, 3, 9)]
    assert list(compute_stats(store, tz=ZoneInfo("Asia/Shanghai")).per_day) == [date(2025, 3, 10)]
    store.close()


def test_times_as_the_admin_reads_them() -> None:
    shanghai = parse_zone("Asia/Shanghai")
    moment = datetime(2026, 12, 2, 6, 5, 9, tzinfo=timezone.utc)
    assert short_time(moment, shanghai, now=moment) == "12-02 14:05"
    assert short_time(moment, shanghai, now=moment + timedelta(days=400)) == "2026-12-02"  # another year: the date
    assert short_time(None) == "—"
    assert local_iso(moment, shanghai) == "2026-12-02T14:05:09+08:00"
    assert day_of(moment.replace(hour=20), shanghai) == date(2026, 12, 3)
    assert parse_zone("UTC") is timezone.utc and parse_zone("") is not None


@pytest.mark.parametrize("name", ["Mars/Olympus", "Asia", "../../etc/passwd", "x" * 300, "Asia/Shanghai\x00"])
def test_bad_time_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_zone(name)
