"""Issue 9, item 11: one vote per user and answer (a change replaces it), only on an answer shown
in that chat, unknown answers refused — through the fake Bot API into a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from telegram_harness import CORPUS, USER, running_bot

from bot.config import Settings
from bot.engine import Engine
from bot.messages import Incoming
from bot.records import MemorySink
from bot.storage import open_store
from bot.storage.db import downgrade, make_engine, upgrade
from bot.storage.models import FeedbackRow

QUESTION = "暖新之家为外卖小哥提供什么？"
OTHER = 2002
GROUP = -100700


@pytest.fixture
def store(tmp_path: Path):
    store = open_store(Settings(_env_file=None, data_dir=tmp_path, database_url=""))
    yield store
    store.close()


def votes(store) -> list[tuple[str, bool]]:
    assert store.flush()
    with store.session() as session:
        return [(row.exchange_id, row.up) for row in session.scalars(select(FeedbackRow))]


def toast(bot) -> str:
    return bot.fake.calls_to("answerCallbackQuery")[-1].params.get("text", "")


async def test_one_vote_per_user_and_answer_only_where_it_was_shown(store):
    engine = Engine.from_corpus(CORPUS, sink=store)
    async with running_bot(engine, store=store) as bot:
        [answer] = await bot.say(QUESTION)
        down = next(d for _, d in answer.buttons() if d.startswith("f:d:"))
        exchange_id = down.split(":")[2]
        for _ in range(5):  # the same 👎 tapped (or replayed) five times
            await bot.press(answer, down, wait="answerCallbackQuery")
        await bot.settle()
        assert votes(store) == [(exchange_id, False)]

        await bot.press(answer, f"f:u:{exchange_id}", wait="answerCallbackQuery")  # changes their mind
        await bot.settle()
        assert votes(store) == [(exchange_id, True)]

        [elsewhere] = await bot.say("/start", user=OTHER)  # never saw the answer, votes from their own chat
        since = bot.fake.mark()
        await bot.fake.press(OTHER, bot.fake.message_of(elsewhere), down)
        await bot.fake.press(USER, bot.fake.message_of(answer), "f:d:0123456789abcdef0123456789abcdef")  # no such answer
        await bot.fake.wait_for("answerCallbackQuery", count=2, since=since)
        refusals = [c.params.get("text", "") for c in bot.fake.calls_to("answerCallbackQuery")[-2:]]
        await bot.settle()
    assert votes(store) == [(exchange_id, True)]
    assert all("没有可以评价" in r for r in refusals)


async def test_in_a_group_each_member_votes_once(store):
    engine = Engine.from_corpus(CORPUS, sink=store)
    mention = "@jinan_test_bot "
    entities = [{"type": "mention", "offset": 0, "length": len(mention) - 1}]
    async with running_bot(engine, store=store) as bot:
        [answer] = await bot.say(mention + QUESTION, chat_id=GROUP, entities=entities)
        down = next(d for _, d in answer.buttons() if d.startswith("f:d:"))
        for user in (USER, OTHER, USER):
            since = bot.fake.mark()
            await bot.fake.press(user, bot.fake.message_of(answer), down)
            await bot.fake.wait_for("answerCallbackQuery", since=since)
            assert "谢谢" in toast(bot)
        await bot.settle()
    assert len(votes(store)) == 2


def test_engine_refuses_votes_on_answers_the_chat_never_saw(library):
    sink = MemorySink()
    engine = Engine(library, sink=sink)
    first = engine.handle(Incoming(QUESTION, chat_id="a", user_id="u1", channel="telegram"))
    second = engine.handle(Incoming("1226工程是什么？", chat_id="a", user_id="u1", channel="telegram"))
    in_a = Incoming("👎", chat_id="a", user_id="u1", channel="telegram")
    in_b = Incoming("👎", chat_id="b", user_id="u2", channel="telegram")
    assert engine.feedback(in_a, False, first.exchange_id)  # an earlier answer of the chat may be rated
    assert engine.feedback(in_a, False, first.exchange_id)  # the same vote again: accepted, not stored again
    assert engine.feedback(in_a, True, first.exchange_id)  # changed: stored, replaces it in the database
    assert not engine.feedback(in_b, False, second.exchange_id)  # another chat never saw it
    assert not engine.feedback(in_a, False, "f" * 32)  # no such answer
    assert [(f.exchange_id, f.up) for f in sink.feedback] == [(first.exchange_id, False), (first.exchange_id, True)]


def test_migration_keeps_the_latest_of_repeated_votes(tmp_path: Path):
    db = make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    upgrade(db, "0001_query_log")
    row = "INSERT INTO feedback (exchange_id, up, reason, channel, chat_id, user_id, time) VALUES "
    with db.begin() as connection:
        for n, (exchange, user, up) in enumerate([("e1", "u1", 0), ("e1", "u1", 0), ("e1", "u1", 1),
                                                   ("e1", "u2", 0), ("e2", "u1", 0)]):
            connection.execute(text(row + f"('{exchange}', {up}, '', 'telegram', 'c', '{user}', '2026-01-0{n + 1}')"))
    upgrade(db)
    with db.connect() as connection:
        kept = connection.execute(text("SELECT exchange_id, user_id, up FROM feedback ORDER BY id")).all()
    downgrade(db, "0001_query_log")  # and back: the index goes, the rows stay
    db.dispose()
    assert [tuple(r) for r in kept] == [("e1", "u1", 1), ("e1", "u2", 0), ("e2", "u1", 0)]
