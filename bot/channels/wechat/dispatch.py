"""What to answer to one WeChat message: the channel's side of the conversation.

Text goes to the engine (in a worker thread, with a deadline); feedback words go
to ``engine.feedback``; events and non-text messages get short fixed replies.
Everything is answered once per MsgId (:mod:`.dedup`).

Each user has an outbox: what their next "更多" / "more" delivers before the
engine is asked for more.  Two things go there:

* the part of a reply that did not fit in one message (:class:`render.Page`);
* a late answer.  WeChat waits 5 s for the passive reply; if the engine has not
  answered within ``deadline_s`` (4 s) the user gets :data:`FALLBACK` ("正在查询，
  请稍后回复“更多”查看答案。") and the answer, once ready, waits in the outbox
  (the next "更多" waits for it again up to the deadline).  A passive reply cannot
  be sent later, and the customer-service push API needs an access token this
  server does not use.

Any message other than "更多" and feedback empties the outbox.

A "更多" answered from the outbox never reaches the engine, so the dispatcher logs
it itself, through the engine's sink (:func:`served_exchange`): every message a
user sends is an exchange in the log.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from typing import Protocol

from bot.channels.wechat.dedup import OnceCache, message_key
from bot.channels.wechat.render import render_page
from bot.messages import Incoming, Reply, ReplyKind
from bot.records import Exchange, Sink, exchange_of

log = logging.getLogger(__name__)

CHANNEL = "wechat"
DEADLINE_S = 4.0  # WeChat gives up after 5 s
FALLBACK = {
    "zh": "正在查询，请稍后回复“更多”查看答案。",
    "en": "Still looking — reply “more” in a moment to see the answer.",
}
WELCOME = "欢迎关注！我可以回答关于济南各区党建工作的问题，并原文引用报道段落、注明出处。"
WELCOME_TAIL = "直接发送文字提问即可；回复“更多”看更多段落，“原文”读全文，👍/👎 评价回答。"
SORRY = "抱歉，暂时无法回答，请稍后再试。"
TEXT_ONLY = "目前只能回答文字提问，请直接输入您的问题。"
THANKS = {True: "已记录，谢谢您的反馈！", False: "暂时没有可以评价的回答。"}
FEEDBACK_WORDS = {"👍": True, "有用": True, "👎": False, "没用": False}
MORE_WORDS = {"更多", "more", "下一页", "next", "继续"}  # as the engine reads them
NON_TEXT = {"image", "voice", "video", "shortvideo", "location", "link", "file", "music"}
_STRIP = re.compile(r"[\s\ufe0f\U0001f3fb-\U0001f3ff!！。.~～]+")
_HAN = re.compile(r"[\u3400-\u9fff]")


class EngineLike(Protocol):
    sink: Sink

    def handle(self, msg: Incoming) -> Reply: ...

    def feedback(
        self, msg: Incoming, up: bool, exchange_id: str | None = None, reason: str = ""
    ) -> bool: ...

    def examples(self, lang: str = "zh") -> list[str]: ...


def normalize(text: str) -> str:
    """Text reduced for command matching: no spaces, skin tones, variation selectors, ! 。"""
    return _STRIP.sub("", text).lower()


def guess_lang(text: str) -> str:
    return "en" if re.search(r"[A-Za-z]", text) and not _HAN.search(text) else "zh"


def served_exchange(msg: Incoming, reply: Reply | None, shown: str, latency_ms: float) -> Exchange:
    """The log record of a "更多" answered from the outbox with ``shown``: the next part of an
    earlier reply or a late answer (``reply``; kind "more", "article" for an article page, so
    it is not counted as a question again), or the fallback once more (no reply yet: "notice").
    The reply's error and decline reason stay with the exchange that asked."""
    kind = ReplyKind.NOTICE
    if reply is not None:
        kind = ReplyKind.ARTICLE if reply.kind == ReplyKind.ARTICLE else ReplyKind.MORE
    # a fresh id: the reply's own id names the exchange that made it
    exchange = exchange_of(
        msg, reply, latency_ms, exchange_id=uuid.uuid4().hex, kind=kind.value, reply_length=len(shown)
    )
    return replace(exchange, error="", reason="")


class Outbox:
    """Per user, the reply their next "更多" delivers (maybe still computing); bounded in time and size."""

    def __init__(self, ttl_s: float = 1800.0, max_users: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.max_users = max_users
        self._items: OrderedDict[str, tuple[float, asyncio.Future[Reply]]] = OrderedDict()

    def put(self, user: str, fut: asyncio.Future[Reply]) -> None:
        self._items.pop(user, None)
        self._items[user] = (time.monotonic(), fut)
        while len(self._items) > self.max_users:
            self._items.popitem(last=False)

    def get(self, user: str) -> asyncio.Future[Reply] | None:
        item = self._items.get(user)
        if item is None:
            return None
        if time.monotonic() - item[0] > self.ttl_s:
            del self._items[user]
            return None
        return item[1]

    def drop(self, user: str) -> None:
        self._items.pop(user, None)


class Dispatcher:
    def __init__(
        self,
        engine: EngineLike,
        *,
        deadline_s: float = DEADLINE_S,
        once: OnceCache[str | None] | None = None,
        outbox: Outbox | None = None,
    ) -> None:
        self.engine = engine
        self.deadline_s = deadline_s
        self.once: OnceCache[str | None] = once or OnceCache()
        self.outbox = outbox or Outbox()

    async def respond(self, fields: Mapping[str, str]) -> str | None:
        """The reply text for one parsed message, or None for "success" (no reply)."""
        return await self.once.run(message_key(fields), lambda: self._respond(fields))

    async def _respond(self, fields: Mapping[str, str]) -> str | None:
        msg_type = fields.get("MsgType", "").strip().lower()
        if msg_type == "text":
            return await self._text(fields.get("FromUserName", "").strip(), fields.get("Content", ""))
        if msg_type == "event":
            return self._event(fields.get("Event", "").strip().lower())
        if msg_type in NON_TEXT:
            return TEXT_ONLY
        log.warning("wechat: unknown message type %r ignored", msg_type[:40])
        return None

    def _event(self, event: str) -> str | None:
        if event == "subscribe":
            examples = "\n".join(f"{i}. {q}" for i, q in enumerate(self.engine.examples("zh"), 1))
            return f"{WELCOME}\n\n您可以这样问：\n{examples}\n\n{WELCOME_TAIL}"
        log.info("wechat: event %r, no reply", event[:40])
        return None

    async def _text(self, user: str, text: str) -> str:
        msg = Incoming(text=text, chat_id=user, user_id=user, channel=CHANNEL)
        word = normalize(text)
        if word in FEEDBACK_WORDS:
            ok = await asyncio.to_thread(self.engine.feedback, msg, FEEDBACK_WORDS[word])
            return THANKS[ok]
        pending = self.outbox.get(user)
        if pending is not None and word in MORE_WORDS:
            started = time.perf_counter()
            shown = await self._deliver(user, pending, text)
            self._log_served(msg, pending, shown, started)
            return shown
        self.outbox.drop(user)
        # a plain future, not a task: a stop (which cancels every task) does not cancel an answer still
        # waiting for a worker thread, so it is computed and logged before the store closes
        answer = asyncio.get_running_loop().run_in_executor(None, self.engine.handle, msg)
        return await self._deliver(user, answer, text)

    def _log_served(self, msg: Incoming, fut: asyncio.Future[Reply], shown: str, started: float) -> None:
        ready = fut.done() and not fut.cancelled() and fut.exception() is None
        latency_ms = (time.perf_counter() - started) * 1000
        exchange = served_exchange(msg, fut.result() if ready else None, shown, latency_ms)
        try:
            self.engine.sink.record_exchange(exchange)
        except Exception:  # logging never breaks answering
            log.exception("wechat: could not log a 更多 served from the outbox")

    async def _deliver(self, user: str, fut: asyncio.Future[Reply], text: str) -> str:
        """The rendered reply if ready within the deadline, else the fallback (answer kept)."""
        done, _ = await asyncio.wait({fut}, timeout=self.deadline_s)
        if not done:
            self.outbox.put(user, fut)
            log.warning("wechat: engine missed the %.1fs deadline, fallback sent", self.deadline_s)
            return FALLBACK[guess_lang(text)]
        self.outbox.drop(user)
        try:
            page = render_page(fut.result())
        except Exception:  # the engine promises not to raise; never let it break the channel
            log.exception("wechat: engine or rendering failed")
            return SORRY
        if page.rest is not None:
            rest: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
            rest.set_result(page.rest)
            self.outbox.put(user, rest)
        return page.text
