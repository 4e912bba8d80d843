"""What the channels keep per user, shared by two workers through SQLite or PostgreSQL:
the per-user rate limit, WeChat's answered-once replies and its late-answer outbox."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from storage_support import KEY

from bot.channels.telegram.ratelimit import SharedLimiter, SlidingWindowLimiter, Verdict, make_limiter
from bot.channels.wechat.dedup import SharedOnce
from bot.channels.wechat.dispatch import FALLBACK, Dispatcher
from bot.channels.wechat.render import render_page
from bot.channels.wechat.sharing import SharedOutbox
from bot.messages import Incoming, Quote, Reply, ReplyKind, Source
from bot.records import MemorySink
from bot.state import shared_state
from bot.storage import Store
from bot.storage.shared import SharedState
from bot.storage.state_models import OutboxRow, RateRow


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url, id_hash_key=KEY)
    yield store
    store.close()


@pytest.fixture
def shared(store: Store) -> SharedState:
    state = shared_state(store)
    assert state is not None
    return state


# -- rate limit -----------------------------------------------------------------------
def test_the_rate_limit_counts_a_user_across_workers(shared: SharedState, store: Store) -> None:
    now = [1000.0]
    a, b = (SharedLimiter(3, shared, window_s=60, clock=lambda: now[0]) for _ in range(2))
    assert [a.check("u"), b.check("u"), a.check("u")] == [Verdict.ALLOW] * 3
    assert b.check("u") == Verdict.WARN and a.check("u") == Verdict.DROP  # told once, then quiet
    assert b.check("other") == Verdict.ALLOW
    now[0] += 61  # the window moved on
    assert [b.check("u") for _ in range(3)] == [Verdict.ALLOW] * 3 and a.check("u") == Verdict.WARN
    with store.session() as session:
        assert "u" not in session.scalars(select(RateRow.key)).all()  # the user id is hashed


def test_the_rate_limit_holds_under_concurrent_workers(shared: SharedState) -> None:
    limiters = [SharedLimiter(10, shared, window_s=3600) for _ in range(2)]
    verdicts: list[Verdict] = []
    lock = threading.Lock()

    def send(limiter: SharedLimiter) -> None:
        for _ in range(10):
            verdict = limiter.check("busy-user")
            with lock:
                verdicts.append(verdict)

    threads = [threading.Thread(target=send, args=(limiters[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts.count(Verdict.ALLOW) == 10 and verdicts.count(Verdict.WARN) == 1  # not 10 per worker


def test_the_rate_limit_falls_back_to_this_worker_when_the_database_fails() -> None:
    class Down:
        def rate_hit(self, key: str, limit: int, window_s: float, now: float) -> str:
            raise ConnectionError("database away")

    limiter = SharedLimiter(2, Down(), window_s=60)
    assert [limiter.check("u") for _ in range(3)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.WARN]
    assert isinstance(make_limiter(2), SlidingWindowLimiter) and isinstance(make_limiter(2, counter=Down()), SharedLimiter)
    assert SharedLimiter(0, Down()).check("u") == Verdict.ALLOW  # 0: no limit


# -- answered once --------------------------------------------------------------------
async def test_a_retry_on_another_worker_gets_the_first_answer(shared: SharedState) -> None:
    a, b = SharedOnce(shared, poll_s=0.01), SharedOnce(shared, poll_s=0.01)
    started, release = asyncio.Event(), asyncio.Event()
    computed: list[str] = []

    async def slow() -> str:
        computed.append("a")
        started.set()
        await release.wait()
        return "the answer"

    async def again() -> str:
        computed.append("b")
        return "a second answer"

    first = asyncio.create_task(a.run(("msg", "openid-1", "42"), slow))
    await started.wait()
    retry = asyncio.create_task(b.run(("msg", "openid-1", "42"), again))  # WeChat's retry, on worker B
    await asyncio.sleep(0.05)
    assert not retry.done()  # waiting for A, not answering
    release.set()
    assert await first == "the answer" and await retry == "the answer"
    assert computed == ["a"]
    assert await SharedOnce(shared).run(("msg", "openid-1", "42"), again) == "the answer"  # later: the stored reply
    assert await b.run(("msg", "openid-2", "42"), again) == "a second answer"  # another sender's MsgId 42


async def test_a_failed_answer_lets_the_retry_answer(shared: SharedState) -> None:
    async def broken() -> str:
        raise RuntimeError("engine fell over")

    async def fine() -> None:
        return None  # "success": no reply, stored as such

    with pytest.raises(RuntimeError):
        await SharedOnce(shared).run(("evt", "openid-3", "1700000000"), broken)
    assert await SharedOnce(shared).run(("evt", "openid-3", "1700000000"), fine) is None
    assert shared.answered('["evt", "openid-3", "1700000000"]') == (True, None)


# -- outbox ---------------------------------------------------------------------------
class SlowEngine:
    """Answers after ``release`` is set (a worker thread waits on it)."""

    def __init__(self) -> None:
        self.sink = MemorySink()
        self.release = threading.Event()
        self.asked: list[str] = []

    def handle(self, msg: Incoming) -> Reply:
        self.asked.append(msg.text)
        self.release.wait(10)
        if msg.text == "你好":
            return Reply(ReplyKind.HELP, "zh", msg.text, intro="您好！")
        source = Source("001_warm", "暖新之家")
        quotes = [Quote(f"第{i}段：暖新之家是300平方米的开放式空间。" * 8, source, i, 5.0 - i) for i in range(6)]
        return Reply(ReplyKind.ANSWER, "zh", msg.text, answered=True, intro="找到以下原文：", quotes=quotes)

    def feedback(self, msg: Incoming, up: bool, exchange_id: str | None = None, reason: str = "") -> bool:
        return False

    def examples(self, lang: str = "zh") -> list[str]:
        return []


def _text(user: str, content: str) -> dict[str, str]:
    return {"FromUserName": user, "ToUserName": "gh_1", "MsgType": "text", "Content": content, "MsgId": content}


async def test_a_late_answer_is_delivered_by_the_other_worker(shared: SharedState, store: Store) -> None:
    engine = SlowEngine()
    a = Dispatcher(engine, deadline_s=0.05, outbox=SharedOutbox(shared, poll_s=0.01))
    b = Dispatcher(engine, deadline_s=2.0, outbox=SharedOutbox(shared, poll_s=0.01))
    assert await a.respond(_text("openid-9", "暖新之家有多大？")) == FALLBACK["zh"]
    engine.release.set()  # the answer comes in on A after WeChat gave up waiting
    shown = await b.respond({**_text("openid-9", "更多"), "MsgId": "m2"})  # the user's 更多 reaches B
    expected = render_page(engine.handle(Incoming("暖新之家有多大？", chat_id="x")))
    assert shown == expected.text and engine.asked.count("暖新之家有多大？") == 2  # once by A, once here
    assert expected.rest is not None  # a long answer: its rest waits in the outbox, for either worker
    rest = await a.respond({**_text("openid-9", "more"), "MsgId": "m3"})
    assert rest == render_page(expected.rest).text
    assert b.engine.sink.exchanges and all(e.kind in ("more", "article") for e in b.engine.sink.exchanges)
    with store.session() as session:
        assert "openid-9" not in session.scalars(select(OutboxRow.user_id)).all()  # hashed


async def test_a_new_question_on_one_worker_empties_the_outbox_for_both(shared: SharedState) -> None:
    engine = SlowEngine()
    engine.release.set()
    a = Dispatcher(engine, deadline_s=2.0, outbox=SharedOutbox(shared))
    b = Dispatcher(engine, deadline_s=2.0, outbox=SharedOutbox(shared))
    first = await a.respond(_text("openid-5", "暖新之家有多大？"))  # a long answer: the rest is in the outbox
    stale = render_page(render_page(engine.handle(Incoming("暖新之家有多大？", chat_id="x"))).rest).text  # type: ignore[arg-type]
    assert first and shared.outbox_get("openid-5") is not None
    await b.respond({**_text("openid-5", "你好"), "MsgId": "m2"})  # another message, on B
    assert shared.outbox_get("openid-5") is None
    more = await a.respond({**_text("openid-5", "更多"), "MsgId": "m3"})  # A must not serve its stale copy
    assert engine.asked[-1] == "更多" and more != stale


def test_a_stale_fill_does_not_overwrite_a_newer_put(shared: SharedState) -> None:
    old = shared.outbox_put("openid-6", None, 60)
    new = shared.outbox_put("openid-6", {"kind": "answer"}, 60)
    assert not shared.outbox_fill("openid-6", old, {"kind": "stale"})
    assert shared.outbox_get("openid-6") == (new, {"kind": "answer"})


async def test_answered_once_falls_back_to_this_worker_when_the_database_fails() -> None:
    class Down:
        def claim(self, key: str, ttl_s: float) -> bool:
            raise ConnectionError("database away")

        def answered(self, key: str) -> tuple[bool, str | None] | None:
            raise ConnectionError("database away")

        def finish(self, key: str, reply: str | None) -> None:
            raise ConnectionError("database away")

        def release(self, key: str) -> None:
            raise ConnectionError("database away")

    class Taken(Down):
        def claim(self, key: str, ttl_s: float) -> bool:
            return False  # another worker claimed it, then the database went away

    calls: list[int] = []

    async def compute() -> str:
        calls.append(1)
        return "answered here"

    once = SharedOnce(Down())
    assert await once.run(("msg", "u", "1"), compute) == "answered here"
    assert await once.run(("msg", "u", "1"), compute) == "answered here" and len(calls) == 1  # cached in this worker
    assert await SharedOnce(Taken()).run(("msg", "u", "2"), compute) == "answered here" and len(calls) == 2


async def test_shared_state_calls_do_not_queue_behind_answers_in_the_default_pool() -> None:
    """Every default-pool thread busy answering: a claim (a database call) still runs at once."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from bot.channels.wechat.dedup import in_database_thread

    loop = asyncio.get_running_loop()
    busy, release = ThreadPoolExecutor(max_workers=1), threading.Event()
    loop.set_default_executor(busy)
    answering = loop.run_in_executor(None, release.wait, 10)  # the only default thread, taken
    try:
        assert await asyncio.wait_for(in_database_thread(lambda: "claimed"), timeout=5) == "claimed"
    finally:
        release.set()
        await answering


async def test_a_late_answer_is_shared_even_while_the_default_pool_is_busy(shared: SharedState) -> None:
    """The row a finished late answer fills is written from the shared-state threads, not queued
    behind the answers that hold the default pool."""
    from concurrent.futures import ThreadPoolExecutor

    loop = asyncio.get_running_loop()
    busy, release = ThreadPoolExecutor(max_workers=1), threading.Event()
    loop.set_default_executor(busy)
    answering = loop.run_in_executor(None, release.wait, 10)  # the only default thread, taken
    try:
        outbox = SharedOutbox(shared)
        late: asyncio.Future[Reply] = loop.create_future()
        outbox.put("user-late", late)
        late.set_result(Reply(kind=ReplyKind.ANSWER, lang="zh", question="q", answered=True, direct=("答",)))
        for _ in range(200):  # the fill runs in a thread: wait for the row
            row = shared.outbox_get("user-late")
            if row is not None and row[1] is not None:
                break
            await asyncio.sleep(0.02)
        assert row is not None and row[1] is not None
    finally:
        release.set()
        await answering
