"""Issue 9, Telegram: start-up against a failing Bot API, the token kept out of logs, inline
buttons, an update the library cannot read, and no raw ids or usernames in log lines."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import pytest
from fake_telegram import FakeTelegram
from telegram_harness import CORPUS, USER, running_bot, serve_and_ask, settings_for

from bot.app import Services
from bot.channels.telegram import serve_telegram, startup
from bot.engine import Engine
from bot.records import MemorySink
from bot.storage.ids import hash_id

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "暖新之家为外卖小哥提供什么？"


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_corpus(CORPUS, sink=MemorySink())


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(startup, "FIRST_DELAY_S", 0.05)
    monkeypatch.setattr(startup, "MAX_DELAY_S", 0.2)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured log line, tracebacks included."""
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


async def until(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


# -- 12: start-up -------------------------------------------------------------------------

async def test_start_retries_while_the_bot_api_answers_5xx(engine, caplog, quick_retries):
    fake = await FakeTelegram().start()
    fake.fail("getMe", 502, 500, 503)
    try:
        with caplog.at_level(logging.INFO):
            answer = await serve_and_ask(fake, engine, QUESTION)
    finally:
        await fake.stop()
    assert "<blockquote" in answer.text
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(retries) == 3 and all(r.levelno == logging.WARNING for r in retries)
    assert "after 4 attempts" in logged(caplog)
    assert fake.token not in logged(caplog)


async def test_start_waits_for_an_unreachable_bot_api_and_stops_on_request(engine, caplog, quick_retries):
    probe = await FakeTelegram().start()  # a port that is free again once the probe stops
    port = probe.port
    await probe.stop()
    fake = FakeTelegram(port=port)
    services = Services(settings=settings_for(fake), engine=engine, sink=engine.sink)
    stop = asyncio.Event()
    with caplog.at_level(logging.INFO):
        serving = asyncio.create_task(serve_telegram(services, stop))
        await until(lambda: sum("retrying in" in r.getMessage() for r in caplog.records) >= 2)
        assert not serving.done()
        await fake.start()
        try:
            await fake.send_text(USER, QUESTION)
            [answer] = await fake.wait_for("sendMessage")
        finally:
            stop.set()
            await asyncio.wait_for(serving, 10)
            await fake.stop()
    assert "<blockquote" in answer.text

    stop = asyncio.Event()  # never reachable: a stop request ends the waiting
    serving = asyncio.create_task(serve_telegram(services, stop))
    await asyncio.sleep(0.3)
    stop.set()
    await asyncio.wait_for(serving, 10)


async def test_a_refused_token_stops_serve_without_showing_it(tmp_path):
    fake = await FakeTelegram().start()
    token = "987654321:AAH-the-secret-part-of-the-token-xyz"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM", "WECHAT", "WEBHOOK"))}
    env.update(TELEGRAM_BOT_TOKEN=token, TELEGRAM_API_BASE_URL=fake.base_url, DATA_DIR=str(tmp_path / "data"),
               CORPUS_DIR=str(CORPUS), PYTHONPATH=str(ROOT))
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "serve", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await fake.stop()
    output = (out + err).decode("utf-8", "replace")
    assert process.returncode != 0
    assert "TELEGRAM_BOT_TOKEN" in output  # says what is wrong …
    assert token not in output and "the-secret-part" not in output  # … without the token


# -- 13: buttons under inline messages ------------------------------------------------------

async def test_buttons_without_a_message_are_answered(engine, caplog):
    async with running_bot(engine) as bot:
        with caplog.at_level(logging.WARNING):
            for data in ("p:2", "a:1", "m", "q:0", "f:u:abc123"):
                since = bot.fake.mark()
                await bot.fake.press_inline(USER, data)
                [toast] = await bot.fake.wait_for("answerCallbackQuery", since=since)
                assert toast.params.get("text")
            await bot.settle()
        assert not bot.fake.calls_to("sendMessage", chat_id=USER)
        assert engine.sink.feedback == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# -- 14: an update the library cannot read --------------------------------------------------

async def test_an_unreadable_update_is_skipped_and_logged_once(engine, caplog):
    secret, user = "只有用户自己知道的问题", 918273640
    async with running_bot(engine) as bot:
        bad = bot.fake.user_message(user, text=secret)
        bad["chat"] = {"id": user, "newer_field": True}  # no "type": PTB cannot build the Chat
        with caplog.at_level(logging.INFO):
            pushed = await bot.fake.push({"message": bad})
            [answer] = await bot.say(QUESTION, user=user)  # the update after it is answered
            polls = bot.fake.polls
            await asyncio.sleep(0.5)
            assert bot.fake.polls - polls < 10  # long polling again, not a tight loop
    assert "<blockquote" in answer.text
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(pushed["update_id"]) in warnings[0].getMessage()
    text = logged(caplog)
    assert secret not in text and str(user) not in text


# -- 17: log lines carry hashed ids, no usernames ------------------------------------------

async def test_log_lines_carry_hashed_ids_and_no_usernames(engine, caplog):
    user, admin = 918273645, 564738291
    async with running_bot(engine, admin_ids=[admin], rate_limit_per_minute=2) as bot:
        with caplog.at_level(logging.INFO):
            await bot.say("/reload", user=user)  # refused: logged with the user and chat
            await bot.say("你好", user=user)
            await bot.say("你好", user=user)  # over the limit: logged
            await bot.fake.send_text(user, "你好")
            await bot.say("/reload", user=admin, count=2)  # logged with the admin
    text = logged(caplog)
    for raw in (user, admin):
        assert str(raw) not in text and f"name{raw}" not in text
    key = bot.app.bot_data["jinan_bot"].log_key
    assert hash_id(str(user), key) in text and hash_id(str(admin), key) in text
    assert "non-admin" in text and "rate limit" in text and "reload by" in text
