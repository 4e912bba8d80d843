"""bench.load_workers' checks and bookkeeping, without a server: never timing."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ is run from the checkout, not installed

from bench.load_workers import MORE, Chatter, Tally, continues  # noqa: E402
from bench.load_workers_report import has_key, percentile, read_conversations, worker_lines  # noqa: E402
from bot.texts import text  # noqa: E402


def test_conversations_are_read_with_their_turns_and_keys(tmp_path: Path) -> None:
    tsv = tmp_path / "c.tsv"
    tsv.write_text("id\tturns\tkeys_last_turn\nc1\t暖新之家有多大？|| 它在哪里？ \t槐荫区|老商埠\nc2\t\t\n",
                   encoding="utf-8")  # fmt: skip
    [conversation] = read_conversations(tsv)
    assert conversation.ident == "c1"
    assert conversation.turns == ["暖新之家有多大？", "它在哪里？"]
    assert conversation.keys == ["槐荫区", "老商埠"]


def test_a_key_is_found_as_the_eval_compares_it() -> None:
    assert has_key("面积达 ３００平方米，设有…", ["300平方米"])  # full-width digits, a space inside
    assert not has_key("面积达 200 平方米", ["300平方米", "三百平方米"])
    assert not has_key("任何回答", [])


def test_more_continues_unless_the_bot_asks_for_a_question_first() -> None:
    assert not continues(text("nothing_yet", "zh") + "\n1. 暖新之家有多大？")
    assert not continues(text("nothing_yet", "en") + " …")
    assert continues(text("no_more", "zh"))  # the topic was found: nothing more to show is a continuation
    assert continues("更多相关段落：……")


def test_percentiles_by_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([], 0.5) is None


def test_worker_lines_count_fallbacks_and_reloads_per_process() -> None:
    log = "\n".join([
        "2026-12-02 06:44:01,001 WARNING 101 bot.channels.wechat.dispatch: wechat: engine missed the 4.0s deadline, fallback sent",
        "2026-12-02 06:44:01,002 WARNING 101 bot.channels.wechat.dispatch: wechat: engine missed the 4.0s deadline, fallback sent",
        "2026-12-02 06:44:02,003 WARNING 202 bot.channels.wechat.dispatch: wechat: engine missed the 4.0s deadline, fallback sent",
        "2026-12-02 06:44:05,004 INFO 202 bot.reloading: corpus generation 1 published (this process: 0): rebuilding the index",
        "INFO:     Application startup complete.",
    ])  # fmt: skip
    lines = worker_lines(log)
    assert lines["fallbacks per worker (log)"] == "101: 2, 202: 1"
    assert lines["workers that rebuilt for the reload (log)"] == "202"
    assert worker_lines("")["workers that rebuilt for the reload (log)"] == "none"


class _Scripted(Chatter):
    """A Chatter whose POSTs return scripted replies (None: no reply), recording what was sent."""

    def __init__(self, replies: list[str | None]) -> None:
        self.tally, self.replies, self.sent = Tally(), list(replies), []

    async def post(self, user: str, content: str) -> str | None:
        self.sent.append(content)
        self.tally.sent += 1
        return self.replies.pop(0)


def test_a_late_answer_is_collected_with_more_and_counted_late_once() -> None:
    chatter = _Scripted(["正在查询，请稍后回复“更多”查看答案。", "正在查询，请稍后回复“更多”查看答案。", "答案"])
    assert asyncio.run(chatter.ask("u", "问题")) == "答案"
    assert chatter.sent == ["问题", MORE, MORE]
    assert (chatter.tally.late, chatter.tally.fetches, len(chatter.tally.answer_ms)) == (1, 2, 1)


def test_an_answer_on_time_or_no_reply_sends_nothing_more() -> None:
    on_time = _Scripted(["答案"])
    assert asyncio.run(on_time.ask("u", "问题")) == "答案"
    assert (on_time.sent, on_time.tally.late, on_time.tally.fetches) == (["问题"], 0, 0)
    lost = _Scripted([None])
    assert asyncio.run(lost.ask("u", "问题")) is None
    assert (lost.sent, len(lost.tally.answer_ms)) == (["问题"], 0)
