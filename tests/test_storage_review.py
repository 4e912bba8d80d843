"""Review queries over a store filled with hand-built records: queue, filters, stats, export, purge."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from storage_support import NOW, exchange, filled_store

from bot.records import Feedback, PassageRef, ReloadReport
from bot.storage.export import FIELDS, as_dict, export
from bot.storage.models import ExchangeRow, FeedbackRow, ReloadRow
from bot.storage.normalize import question_key
from bot.storage.review import Filters, format_queue_text, format_stats_text, purge, recent, review_queue
from bot.storage.stats import compute_stats, percentile

RED_TRAD = exchange("槐蔭區的「紅色物業」是什麼？", answered=False, days_ago=3, best_text="weak", passages=[PassageRef("003_c", 1, 0.5)])
RED_SIMP = exchange("槐荫区的红色物业是什么", answered=False, days_ago=2, channel="telegram",
                    best_text="红色物业的最佳段落", passages=[PassageRef("001_a", 4, 2.5)])  # fmt: skip
RED_DOWN = exchange("槐荫区的 红色物业 是什么?!", days_ago=1, channel="wechat", best_text="答过但被踩", passages=[PassageRef("002_b", 2, 1.0)])
MARS_1 = exchange("What is on MARS?", answered=False, days_ago=1)
MARS_2 = exchange("what is on mars", answered=False)
GOOD = exchange("章丘区有哪些党建做法", days_ago=1, latency_ms=30.0)
LIKED = exchange("历下区的志愿服务", latency_ms=10.0)
HELLO = exchange("你好", answered=False, kind="help")  # not a question: never on the to-do list
ERROR = exchange("天桥区", answered=False, kind="notice", error="RuntimeError('boom')")
ALL = [RED_TRAD, RED_SIMP, RED_DOWN, MARS_1, MARS_2, GOOD, LIKED, HELLO, ERROR]
VOTES = [Feedback(RED_DOWN.exchange_id, up=False, reason="不对", channel="wechat"),
         Feedback(LIKED.exchange_id, up=True, channel="cli")]  # fmt: skip


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Shared by the read-only tests of this module."""
    path = tmp_path_factory.mktemp("review") / "db.sqlite3"
    store = filled_store(path, *ALL, *VOTES, ReloadReport("cli", "cli", time=NOW))
    yield store
    store.close()


def test_question_key_folds_script_punctuation_width_and_case():
    assert question_key("槐蔭區的「紅色物業」是什麼？") == question_key("槐荫区的 红色物业 是什么?!")
    assert question_key("ＷＨＡＴ is on Mars") == question_key("what is on mars?")
    assert question_key("章丘区") != question_key("历下区")


def test_review_queue_groups_variants(store):
    items = review_queue(store)
    by_key = {item.key: item for item in items}
    red = by_key[question_key(RED_SIMP.message)]
    mars = by_key[question_key(MARS_1.message)]
    assert set(by_key) == {red.key, mars.key, question_key(ERROR.message)}  # not GOOD, LIKED or HELLO
    assert (red.count, red.unanswered, red.negative) == (3, 2, 1)
    assert (mars.count, mars.unanswered, mars.negative) == (2, 2, 0)
    assert items[0] is red  # most frequent first
    assert red.first_seen == RED_TRAD.time and red.last_seen == RED_DOWN.time
    assert (red.best_text, red.best_article) == ("红色物业的最佳段落", "001_a")  # the highest-scoring passage
    assert set(red.variants) == {RED_TRAD.message, RED_SIMP.message, RED_DOWN.message}
    assert sorted(red.channels) == ["cli", "telegram", "wechat"]


def test_review_queue_filters_and_limit(store):
    assert [i.key for i in review_queue(store, channel="telegram")] == [question_key(RED_SIMP.message)]
    recent_items = review_queue(store, since=NOW - timedelta(hours=12))
    assert {i.key for i in recent_items} == {question_key(MARS_2.message), question_key(ERROR.message)}
    assert len(review_queue(store, limit=1)) == 1


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), ALL),
        (Filters(unanswered=True), [RED_TRAD, RED_SIMP, MARS_1, MARS_2, ERROR]),
        (Filters(negative=True), [RED_DOWN]),
        (Filters(channel="telegram"), [RED_SIMP]),
        (Filters(since=NOW - timedelta(hours=12)), [MARS_2, LIKED, HELLO, ERROR]),
        (Filters(search="紅色物業"), [RED_TRAD, RED_SIMP, RED_DOWN]),  # traditional finds simplified too
        (Filters(search="MARS"), [MARS_1, MARS_2]),
        (Filters(search="100%_"), []),  # LIKE wildcards are literal
        (Filters(unanswered=True, channel="cli", search="mars"), [MARS_1, MARS_2]),
    ],
)
def test_recent_filters(store, filters, expected):
    got = recent(store, filters, limit=None)
    assert {e.exchange_id for e in got} == {e.exchange_id for e in expected}
    assert [e.time for e in got] == sorted((e.time for e in got), reverse=True)


def test_recent_limit_and_vote_counts(store):
    assert len(recent(store, limit=3)) == 3
    entries = {e.exchange_id: e for e in recent(store, limit=None)}
    assert (entries[LIKED.exchange_id].feedback_up, entries[LIKED.exchange_id].feedback_down) == (1, 0)
    assert (entries[RED_DOWN.exchange_id].feedback_up, entries[RED_DOWN.exchange_id].feedback_down) == (0, 1)


def test_stats(store):
    stats = compute_stats(store, top=3)
    questions = [RED_TRAD, RED_SIMP, RED_DOWN, MARS_1, MARS_2, GOOD, LIKED, ERROR]
    assert stats.exchanges == len(ALL)
    assert (stats.total.questions, stats.total.answered) == (len(questions), 3)
    assert (stats.total.up, stats.total.down) == (1, 1)
    assert sum(c.questions for c in stats.per_day.values()) == len(questions)
    assert stats.per_day[(NOW - timedelta(days=1)).date()].questions == 3  # RED_DOWN, MARS_1, GOOD
    assert {k: (c.questions, c.answered) for k, c in stats.per_channel.items()} == {"cli": (6, 2), "telegram": (1, 0), "wechat": (1, 1)}
    assert stats.per_channel["wechat"].down == 1
    text, count = stats.top_questions[0]
    assert count == 3 and text in {RED_TRAD.message, RED_SIMP.message, RED_DOWN.message}
    assert [n for _, n in stats.top_unanswered] == [2, 2, 1]
    latencies = sorted(e.latency_ms for e in questions)
    assert stats.latency_median_ms == (latencies[3] + latencies[4]) / 2
    assert stats.latency_p95_ms == latencies[-1]
    assert stats.last_reload == NOW and stats.last_reload_ok


def test_percentile_nearest_rank():
    assert percentile([], 0.95) is None
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([float(v) for v in range(1, 101)], 0.95) == 95.0


def test_text_formatters_take_a_store_or_computed_values(store):
    stats_text = format_stats_text(store)
    assert "Questions: 8 · answered 3 (38%)" in stats_text and "👍 1 · 👎 1" in stats_text
    assert format_stats_text(compute_stats(store)) == stats_text
    queue_text = format_queue_text(store, limit=1)
    assert queue_text.startswith("Review queue: 3 question(s), first 1")
    assert "3×" in queue_text and "红色物业的最佳段落" in queue_text and "mars" not in queue_text.lower()
    assert "empty" in format_queue_text([], limit=5)


def test_export_csv_round_trips_with_bom(store, tmp_path):
    target = tmp_path / "log.csv"
    assert export(store, target, "csv") == len(ALL)
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = [as_dict(e) for e in reversed(recent(store, limit=None))]  # oldest first
    assert list(rows[0]) == FIELDS
    assert [r["message"] for r in rows] == [e["message"] for e in expected]
    for row, entry in zip(rows, expected):
        assert json.loads(row["passages"]) == entry["passages"]
        assert row["answered"] == ("true" if entry["answered"] else "false")
        assert (row["exchange_id"], row["time"], row["best_text"]) == (entry["exchange_id"], entry["time"], entry["best_text"])


def test_export_quotes_awkward_text(tmp_path):
    tricky = exchange('逗号, "引号"\n换行；还有 ， 全角', answered=False)
    store = filled_store(tmp_path / "db.sqlite3", tricky)
    export(store, tmp_path / "log.csv", "csv")
    export(store, tmp_path / "log.jsonl", "jsonl")
    store.close()
    with (tmp_path / "log.csv").open(encoding="utf-8-sig", newline="") as handle:
        [row] = list(csv.DictReader(handle))
    [line] = (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()
    assert row["message"] == json.loads(line)["message"] == tricky.message


def test_export_jsonl_round_trips_the_filtered_set(store, tmp_path):
    target = tmp_path / "log.jsonl"
    assert export(store, target, filters=Filters(unanswered=True)) == 5  # format from the name
    records = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    expected = [as_dict(e) for e in reversed(recent(store, Filters(unanswered=True), limit=None))]
    assert records == expected


def test_purge_deletes_only_older_records(tmp_path):
    old = exchange("旧问题", days_ago=200)
    new = exchange("新问题", days_ago=10)
    store = filled_store(
        tmp_path / "db.sqlite3", old, new,
        Feedback(old.exchange_id, False, time=old.time), Feedback(new.exchange_id, True, time=new.time),
        ReloadReport("cli", "cli", time=old.time), ReloadReport("cli", "cli", time=new.time),
    )  # fmt: skip
    counts = purge(store, timedelta(days=180), now=NOW)
    assert counts == {"exchanges": 1, "feedback": 1, "reloads": 1}
    assert [e.exchange_id for e in recent(store, limit=None)] == [new.exchange_id]
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackRow)) == 1
        assert session.scalar(select(func.count()).select_from(ReloadRow)) == 1
        assert session.scalar(select(func.count()).select_from(ExchangeRow)) == 1
    store.close()
