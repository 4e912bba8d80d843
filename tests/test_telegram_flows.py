"""End to end: the real PTB Application polling a fake Bot API server over HTTP."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest
from telegram_harness import CORPUS, USER, balanced, plain, running_bot

from bot.engine import Engine
from bot.messages import Incoming, Reply
from bot.records import MemorySink


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine.from_corpus(CORPUS, sink=MemorySink())


@pytest.fixture
async def bot(engine: Engine):
    async with running_bot(engine) as running:
        yield running


def data_of(call) -> list[str]:
    return [data for _, data in call.buttons()]


async def test_start_sets_menu_and_offers_example_buttons(bot, engine):
    assert {c["command"] for c in bot.fake.commands["default::"]} == {"start", "help"}
    assert {c["command"] for c in bot.fake.commands["default::en"]} == {"start", "help"}
    assert {c["command"] for c in bot.fake.commands["chat:777:"]} >= {"reload", "stats", "unanswered"}
    [welcome] = await bot.say("/start")
    assert bot.fake.polls > 0  # the update came by long polling
    examples = engine.examples("zh")
    assert [text for text, _ in welcome.buttons()] == examples[:4]
    assert all(data.startswith("q:") for data in data_of(welcome))

    [answer] = await bot.press(welcome, "q:1")
    assert bot.fake.calls_to("answerCallbackQuery")
    assert answer.params["parse_mode"] == "HTML"
    assert "<blockquote>" in answer.text
    assert examples[1] in answer.text  # the tapped question is echoed above its answer


async def test_question_answered_with_quote_source_and_buttons(bot, engine):
    question = engine.examples("zh")[0]
    [answer] = await bot.say(question)
    assert answer.params["parse_mode"] == "HTML"
    assert "<blockquote" in answer.text and balanced(answer.text)
    assert "<b>1226</b>" in answer.text or "<b>章丘</b>" in answer.text
    exchange = next(e for e in engine.sink.exchanges if e.message == question and e.chat_id == str(USER))
    assert exchange.channel == "telegram" and exchange.answered
    title = engine.library.articles[exchange.passages[0].article].title
    assert f"《{title}》" in answer.text
    buttons = data_of(answer)
    assert {"m", "a:1", f"f:u:{exchange.exchange_id}", f"f:d:{exchange.exchange_id}"} <= set(buttons)
    assert all(len(d.encode()) <= 64 for d in buttons)


async def test_more_then_article_pages(bot, engine):
    [answer] = await bot.say(engine.examples("zh")[0])
    since = bot.fake.mark()
    [more] = await bot.press(answer, "m")
    assert "<blockquote" in more.text and more.text != answer.text
    [spent] = await bot.fake.wait_for("editMessageReplyMarkup", since=since)
    assert spent.params["message_id"] == answer.result["message_id"]
    assert "m" not in data_of(spent) and "a:1" in data_of(spent)  # the spent button is gone

    [page1] = await bot.press(more, "a:1")
    assert "1/" in page1.text and "p:2" in data_of(page1)
    [edit] = await bot.press(page1, "p:2", wait="editMessageText")
    assert "2/" in edit.text and edit.params["message_id"] == page1.result["message_id"]
    assert {"p:1", "p:3"} <= set(data_of(edit))


async def test_thumbs_up_and_down_are_stored(bot, engine):
    for vote, up in (("u", True), ("d", False)):
        [answer] = await bot.say(engine.examples("zh")[2])
        exchange_id = next(d for d in data_of(answer) if d.startswith("f:u:")).split(":")[2]
        [edit] = await bot.press(answer, f"f:{vote}:{exchange_id}", wait="editMessageReplyMarkup")
        assert not [d for d in data_of(edit) if d.startswith("f:")]  # one vote per answer
        [stored] = [f for f in engine.sink.feedback if f.exchange_id == exchange_id]
        assert stored.up is up and stored.channel == "telegram"
        toast = bot.fake.calls_to("answerCallbackQuery")[-1]
        assert toast.params.get("text")


async def test_follow_up_uses_the_conversation(bot):
    await bot.say("章丘的1226工程是什么？")
    [follow] = await bot.say("其中的两个统筹是什么？")
    assert "统筹基层基础" in plain(follow.text)


async def test_sticker_gets_text_only_reply(bot):
    since = bot.fake.mark()
    await bot.fake.send_sticker(USER)
    [reply] = await bot.fake.wait_for("sendMessage", since=since)
    assert "文字" in reply.text


async def test_english_user_gets_english_ui(bot, engine):
    since = bot.fake.mark()
    await bot.fake.send_text(USER, "/start", lang="en")
    [welcome] = await bot.fake.wait_for("sendMessage", since=since)
    assert "Hello" in welcome.text
    assert [t for t, _ in welcome.buttons()] == engine.examples("en")[:4]


async def test_group_answers_only_when_addressed(bot, engine):
    group = -100500
    question = engine.examples("zh")[0]
    await bot.fake.send_text(USER, question, chat_id=group)  # chatter: not for the bot
    await bot.fake.send_sticker(USER, chat_id=group)
    await bot.settle()
    assert bot.fake.calls_to("sendMessage", chat_id=group) == []

    mention = "@jinan_test_bot "
    entities = [{"type": "mention", "offset": 0, "length": len(mention) - 1}]
    sent = await bot.say(mention + question, chat_id=group, entities=entities)
    assert "<blockquote" in sent[0].text
    assert "reply_parameters" in sent[0].params  # quotes the asker's message in a group

    reply_to = bot.fake.message_of(sent[0])
    [follow] = await bot.say("其中的两个统筹是什么？", chat_id=group, reply_to_message=reply_to)
    assert "统筹基层基础" in plain(follow.text)


LONG_QUOTES = 16


class ExplodingEngine:
    """The real engine, except that "boom" raises and "long" returns a reply over 4096 characters."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def handle(self, msg: Incoming) -> Reply:
        if msg.text == "boom":
            raise RuntimeError("kaboom")
        if msg.text == "long":
            real = self._engine.handle(replace(msg, text=self._engine.examples()[0]))
            quotes = [replace(q, text=f"{i}: <x&y> {q.text}", shown="") for i in range(LONG_QUOTES) for q in real.quotes[:1]]
            return replace(real, quotes=quotes)
        return self._engine.handle(msg)


async def test_exception_in_handler_reaches_error_handler(engine, caplog):
    async with running_bot(ExplodingEngine(engine)) as bot:
        with caplog.at_level(logging.ERROR):
            [reply] = await bot.say("boom")
        assert "出了点问题" in reply.text
        assert any(r.exc_info and "kaboom" in str(r.exc_info[1]) for r in caplog.records)
        [after] = await bot.say(engine.examples("zh")[0])  # the bot keeps working
        assert "<blockquote" in after.text


async def test_long_reply_is_split_cleanly(engine):
    async with running_bot(ExplodingEngine(engine)) as bot:
        since = bot.fake.mark()
        await bot.fake.send_text(USER, "long")
        await bot.settle()
        parts = [c for c in bot.fake.calls[since:] if c.method == "sendMessage" and c.params["chat_id"] == USER]
    assert len(parts) >= 2
    assert all(len(p.text) <= 4096 and balanced(p.text) for p in parts)
    assert [bool(p.markup) for p in parts] == [False] * (len(parts) - 1) + [True]  # buttons under the last
    plain = re.sub(r"<[^>]+>|\s", "", "".join(p.text for p in parts))
    for i in range(LONG_QUOTES):
        assert f"{i}:&lt;x&amp;y&gt;" in plain  # every passage arrived, escaped
    assert plain.count("《") >= LONG_QUOTES  # each with its source


async def test_burst_over_rate_limit_gets_one_friendly_message(engine):
    async with running_bot(engine, rate_limit_per_minute=3) as bot:
        since = bot.fake.mark()
        for n in range(6):
            await bot.fake.send_text(USER, f"你好 {n}")
        await bot.settle()  # another user is not limited
        to_user = [c for c in bot.fake.calls[since:] if c.method == "sendMessage" and c.params["chat_id"] == USER]
    assert len(to_user) == 4  # three answers, one notice, then silence
    assert "稍等" in to_user[3].text
    assert all("稍等" not in c.text for c in to_user[:3])


async def test_unknown_button_is_answered(bot):
    [welcome] = await bot.say("/start")
    since = bot.fake.mark()
    await bot.fake.press(USER, bot.fake.message_of(welcome), "zz:unknown")
    [answer] = await bot.fake.wait_for("answerCallbackQuery", since=since)
    assert answer.params.get("text")
