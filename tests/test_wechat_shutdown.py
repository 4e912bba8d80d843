"""A question answered with the fallback ("正在查询…") whose answer still waits for a worker thread
when the server stops is answered and logged all the same (found by bench/load_wechat.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bot.channels.wechat.dispatch import FALLBACK, Dispatcher
from bot.messages import Incoming, Reply, ReplyKind
from bot.records import MemorySink


class SlowEngine:
    def __init__(self) -> None:
        self.sink = MemorySink()
        self.handled: list[str] = []
        self._lock = threading.Lock()

    def handle(self, msg: Incoming) -> Reply:
        time.sleep(0.2)
        with self._lock:
            self.handled.append(msg.text)
        return Reply(ReplyKind.ANSWER, "zh", msg.text, answered=True)

    def feedback(self, msg: Incoming, up: bool, exchange_id: str | None = None, reason: str = "") -> bool:
        return False

    def examples(self, lang: str = "zh") -> list[str]:
        return []


def test_answers_queued_for_a_thread_survive_the_stop() -> None:
    engine = SlowEngine()

    async def serve_then_stop() -> list[str | None]:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=1))
        dispatcher = Dispatcher(engine, deadline_s=0.01)
        fields = [{"MsgType": "text", "FromUserName": f"o{n}", "Content": f"问题{n}", "MsgId": str(n)} for n in range(3)]
        return [await dispatcher.respond(f) for f in fields]  # then the loop stops: every task is cancelled

    replies = asyncio.run(serve_then_stop())
    assert replies == [FALLBACK["zh"]] * 3
    assert sorted(engine.handled) == ["问题0", "问题1", "问题2"]
