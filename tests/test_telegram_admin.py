"""Admin commands, review texts from the real store, webhook mode and serve_telegram, over the fake Bot API."""

from __future__ import annotations

import logging
import re
import shutil
import threading
from pathlib import Path

import httpx
import pytest
from fake_telegram import FakeTelegram
from telegram_harness import ADMIN, CORPUS, USER, plain, running_bot, serve_and_ask

from bot.channels.telegram.webhook import SECRET_HEADER, webhook_routes, webhook_secret
from bot.config import Settings
from bot.engine import Engine
from bot.http_app import build_http_app
from bot.records import MemorySink
from bot.storage import open_store

QUESTION = "暖新之家为外卖小哥提供什么？"
BROKEN = "999_broken.txt"


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture
def engine(corpus_copy: Path) -> Engine:
    """A fresh engine over a private copy of the corpus (reload tests change both)."""
    return Engine.from_corpus(corpus_copy, sink=MemorySink())


@pytest.fixture(scope="module")
def shared_engine() -> Engine:
    return Engine.from_corpus(CORPUS, sink=MemorySink())


async def reload_and_wait(bot, user: int = ADMIN) -> str:
    """/reload: the immediate "reloading …" note, then the summary; returns the summary."""
    started, summary = await bot.say("/reload", user=user, count=2)
    assert "加载" in started.text
    return summary.text


async def test_admin_reload_reports_counts(engine):
    async with running_bot(engine) as bot:
        summary = await reload_and_wait(bot)
    assert "✅" in summary
    assert f"{engine.article_count} 篇文章" in summary and f"{engine.passage_count} 个段落" in summary
    [report] = engine.sink.reloads
    assert report.ok and report.origin == "telegram" and report.who == f"telegram:{ADMIN}"


async def test_reload_lists_added_and_skipped_files_and_keeps_answering(engine, corpus_copy):
    articles = corpus_copy / "articles"
    (articles / BROKEN).write_bytes(b"\x00\x01\xff\xfe not text \x00" * 64)
    first = sorted(articles.glob("0*.txt"))[0]
    shutil.copy(first, articles / "010_copy.txt")
    async with running_bot(engine) as bot:
        summary = await reload_and_wait(bot)
        [answer] = await bot.say(QUESTION)
    assert "✅" in summary
    assert BROKEN in summary and "跳过 1" in summary
    assert "新增 1: 010_copy" in summary
    assert "<blockquote" in answer.text


async def test_failed_reload_changes_nothing(engine, corpus_copy):
    before = (engine.article_count, engine.library)
    for path in (corpus_copy / "articles").iterdir():
        path.unlink()
    (corpus_copy / "articles" / BROKEN).write_bytes(b"\x00" * 100)
    async with running_bot(engine) as bot:
        summary = await reload_and_wait(bot)
        [answer] = await bot.say(QUESTION)
    assert "❌" in summary and "原来的索引" in summary
    assert (engine.article_count, engine.library) == before
    assert "<blockquote" in answer.text  # the old index still answers


async def test_non_admin_is_refused_and_logged(shared_engine, caplog):
    async with running_bot(shared_engine) as bot:
        with caplog.at_level(logging.WARNING):
            refusals = [(await bot.say(f"/{cmd}"))[0] for cmd in ("reload", "stats", "unanswered")]
            await bot.settle()
    assert all("管理员" in r.text for r in refusals)
    assert shared_engine.sink.reloads == []
    logged = [r.getMessage() for r in caplog.records if "non-admin" in r.getMessage()]
    hashed = bot.app.bot_data["jinan_bot"].log_id(USER)  # the hashed id, never the raw one
    assert len(logged) == 3 and all(hashed in line and f" {USER} " not in line for line in logged)


async def test_stats_without_database_degrade(shared_engine):
    async with running_bot(shared_engine, store=None) as bot:
        [stats] = await bot.say("/stats", user=ADMIN)
        [queue] = await bot.say("/unanswered", user=ADMIN)
    assert "数据库" in stats.text and "数据库" in queue.text


async def test_help_shows_admin_commands_to_admins_only(shared_engine):
    async with running_bot(shared_engine) as bot:
        [for_admin] = await bot.say("/help", user=ADMIN)
        [for_user] = await bot.say("/help", user=USER)
    assert "/reload" in for_admin.text and "/reload" not in for_user.text


async def test_webhook_mode_checks_the_secret_token(shared_engine):
    """The webhook is a route of the one HTTP app: Telegram's updates reach the running bot through it."""
    url = "https://bot.example.org/tg/hook"
    async with running_bot(shared_engine, webhook_url=url, webhook_secret="s3cret") as bot:
        assert bot.fake.webhook["url"] == url and bot.fake.webhook["secret_token"] == "s3cret"
        assert bot.fake.polls == 0
        http = build_http_app(bot.services, routes=webhook_routes(bot.app, url, "s3cret"))
        update = {"update_id": 1, "message": bot.fake.user_message(USER, text=QUESTION)}
        transport = httpx.ASGITransport(app=http)
        async with httpx.AsyncClient(transport=transport, base_url="http://bot.internal") as client:
            forged = await client.post("/tg/hook", json=update, headers={SECRET_HEADER: "nope"})
            missing = await client.post("/tg/hook", json=update)
            other_path = await client.post("/telegram", json=update, headers={SECRET_HEADER: "s3cret"})
            broken = await client.post("/tg/hook", content=b"{not json", headers={SECRET_HEADER: "s3cret"})
            since = bot.fake.mark()
            good = await client.post("/tg/hook", json=update, headers={SECRET_HEADER: "s3cret"})
        [answer] = await bot.fake.wait_for("sendMessage", since=since)
    assert (forged.status_code, missing.status_code, other_path.status_code) == (403, 403, 404)
    assert broken.status_code == 200  # skipped, or Telegram would resend it forever
    assert good.status_code == 200
    assert "<blockquote" in answer.text and "外卖" in plain(answer.text)
    assert len([c for c in bot.fake.calls if c.method == "sendMessage"]) == 1  # forged updates did nothing


def test_the_webhook_secret_is_the_same_in_every_worker_and_never_the_token():
    token = "123456:TEST-token"
    derived = webhook_secret(token)
    assert derived == webhook_secret(token) and derived != webhook_secret("654321:other")
    assert token not in derived and re.fullmatch(r"[A-Za-z0-9_-]{1,256}", derived)
    assert webhook_secret(token, "configured") == "configured"


class GatedReload:
    """The real engine, but reload waits until the test opens the gate."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.gate = threading.Event()

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def reload(self, who: str = "", origin: str = "cli"):
        assert self.gate.wait(10), "the test never opened the gate"
        return self._engine.reload(who, origin)


async def test_other_chats_are_answered_during_a_reload(engine):
    gated = GatedReload(engine)
    async with running_bot(gated) as bot:
        since = bot.fake.mark()
        [started] = await bot.say("/reload", user=ADMIN)
        [busy] = await bot.say("/reload", user=ADMIN)  # a second reload waits its turn
        [answer] = await bot.say(QUESTION, user=USER)  # answered while the reload runs
        assert not engine.sink.reloads
        gated.gate.set()
        summaries = await bot.fake.wait_for("sendMessage", count=3, chat_id=ADMIN, since=since)
    assert "加载" in started.text and "已经在" in busy.text
    assert "<blockquote" in answer.text
    assert "✅" in summaries[-1].text and len(engine.sink.reloads) == 1


async def test_stats_and_unanswered_from_the_real_store(tmp_path):
    store = open_store(Settings(_env_file=None, data_dir=tmp_path, database_url=""))
    engine = Engine.from_corpus(CORPUS, sink=store)
    try:
        async with running_bot(engine, store=store) as bot:
            [declined] = await bot.say("火星<b>天气</b>怎么样？")
            [answer] = await bot.say(QUESTION)
            down = next(d for _, d in answer.buttons() if d.startswith("f:d:"))
            await bot.press(answer, down, wait="answerCallbackQuery")
            await bot.settle()
            assert store.flush()
            [stats] = await bot.say("/stats", user=ADMIN)
            [queue] = await bot.say("/unanswered", user=ADMIN)
    finally:
        store.close()
    assert "<blockquote" not in declined.text and declined.buttons()  # declined, with suggestions
    assert stats.text.startswith("<pre>") and "👎 1" in stats.text and "telegram" in stats.text
    assert "火星&lt;b&gt;天气&lt;/b&gt;怎么样？" in queue.text  # escaped inside <pre>
    assert QUESTION in queue.text  # down-voted answers are on the to-do list too


async def test_serve_telegram_runs_until_stopped(shared_engine):
    fake = await FakeTelegram().start()
    try:
        answer = await serve_and_ask(fake, shared_engine, QUESTION)
    finally:
        await fake.stop()
    assert "<blockquote" in answer.text
