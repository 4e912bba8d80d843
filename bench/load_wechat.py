"""Issue 9's load run: concurrent WeChat chats against a real ``python -m bot serve``, a reload in
the middle, SIGTERM at the end while messages are in flight, one restart; then what was sent,
answered and logged.

    .venv/bin/python -m bench.load_wechat [--chats 200] [--stop-at 0.9] [--no-lock] [--keep DIR]

The server runs in safe mode (``WECHAT_ENCODING_AES_KEY``): every message is signed and encrypted as
WeChat's server does it (wechatpy plays WeChat), every reply decrypted and checked. A running WeChat
server has no reload of its own, so the reload is the admin's Telegram ``/reload``: the same server
also polls a fake Bot API on 127.0.0.1 (``tests/fake_telegram.py``). Each chat sends a question,
"更多" and another question from ``../shared/eval/dev2_questions.tsv``. When ``--stop-at`` of the
messages are answered the database is write-locked (unless ``--no-lock``: then the records are
usually written before the stop, and nothing is spooled) and the server gets SIGTERM; chats stop at
their first refused request. The lock is released after the server exits, the server is started
once more (it writes the spool), stopped, and the exchanges table is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT.parent / "shared" / "eval" / "dev2_questions.tsv"
TOKEN, APP_ID, ACCOUNT = "loadtoken", "wx0123456789load0", "gh_load"
AES_KEY = "LoadTestKey0123456789abcdefghijklmnopqrstuv"  # 43 characters
TELEGRAM_TOKEN, ADMIN = "123456:LOAD-token", 424242
FALLBACK_START = ("正在查询", "Still looking")


def read_questions(path: Path) -> list[str]:
    """The question column of a dev2-style TSV (id, kind, question, keys), header skipped."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.strip()]
    return [row[2] for row in rows if len(row) > 2 and row[2].strip()]


def chat_script(questions: list[str], n: int) -> list[str]:
    """Chat N's messages: a question, 更多, another question (fixed per N)."""
    first, second = random.Random(n).sample(questions, 2)
    return [first, "更多", second]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def text_xml(content: str, user: str, msg_id: int) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>")  # fmt: skip


def sealed(crypto: WeChatCrypto, xml: str, nonce: str) -> tuple[dict[str, str], str]:
    """Query parameters and body of a safe-mode POST carrying XML, as WeChat's server sends it."""
    timestamp = str(int(time.time()))
    envelope = ET.fromstring(crypto.encrypt_message(xml, nonce, timestamp))
    signer = WeChatSigner()
    signer.add_data(TOKEN, timestamp, nonce)
    params = {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce,
              "encrypt_type": "aes", "msg_signature": envelope.findtext("MsgSignature", "")}  # fmt: skip
    body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<Encrypt><![CDATA[{envelope.findtext('Encrypt', '')}]]></Encrypt></xml>")  # fmt: skip
    return params, body


def opened(crypto: WeChatCrypto, response_text: str) -> str | None:
    """The text of an encrypted passive reply (signature checked), None for "success" or an empty body."""
    if not response_text.strip().startswith("<xml"):
        return None
    envelope = ET.fromstring(response_text)
    plain = crypto.decrypt_message(response_text, envelope.findtext("MsgSignature", ""),
                                   envelope.findtext("TimeStamp", ""), envelope.findtext("Nonce", ""))  # fmt: skip
    return ET.fromstring(plain).findtext("Content")


def count_logged(database: Path, channel: str = "wechat") -> int:
    with sqlite3.connect(database) as connection:
        return int(connection.execute("SELECT count(*) FROM exchanges WHERE channel = ?", (channel,)).fetchone()[0])


@dataclass
class Tally:
    planned: int = 0
    sent: int = 0  # requests attempted
    answered: int = 0  # HTTP 200 with a reply
    fallback: int = 0  # of those: "正在查询…" (the engine missed WeChat's deadline)
    other: int = 0  # HTTP 200 without a reply, or another status
    refused: int = 0  # no response: the server was stopping or gone
    during_reload: int = 0  # answered while the reload ran
    reloading: bool = False
    notes: list[str] = field(default_factory=list)


def server_env(data: Path, port: int, telegram: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "DATABASE_", "WEBHOOK"))}
    env.update(DATA_DIR=str(data), ID_HASH_KEY="load-key", PYTHONUNBUFFERED="1", HTTP_HOST="127.0.0.1",
               HTTP_PORT=str(port), WECHAT_TOKEN=TOKEN, WECHAT_APP_ID=APP_ID, WECHAT_ENCODING_AES_KEY=AES_KEY,
               TELEGRAM_BOT_TOKEN=TELEGRAM_TOKEN, TELEGRAM_API_BASE_URL=telegram, ADMIN_IDS=str(ADMIN),
               RATE_LIMIT_PER_MINUTE="1000")  # fmt: skip
    return env


def start_server(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as handle:
        return subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=handle, stderr=handle)


async def until_healthy(base: str, server: subprocess.Popen[bytes], timeout: float = 600) -> float:
    started = time.monotonic()
    async with httpx.AsyncClient() as client:
        while time.monotonic() - started < timeout:
            if server.poll() is not None:
                raise SystemExit(f"serve exited with {server.returncode} before it was ready")
            try:
                if (await client.get(f"{base}/healthz", timeout=1)).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("serve did not become ready")


async def one_chat(client: httpx.AsyncClient, base: str, n: int, script: list[str], tally: Tally) -> None:
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
    for step, content in enumerate(script):
        params, body = sealed(crypto, text_xml(content, f"oLoad{n:04d}", 9_000_000 + n * 10 + step), f"n{n}s{step}")
        tally.sent += 1
        try:
            response = await client.post(f"{base}/wechat", params=params, content=body.encode("utf-8"))
        except httpx.TransportError:
            tally.refused += 1
            return  # the server is gone: this chat ends
        reply = opened(crypto, response.text) if response.status_code == 200 else None
        if reply is None:
            tally.other += 1
            continue
        tally.answered += 1
        tally.fallback += reply.startswith(FALLBACK_START)
        tally.during_reload += tally.reloading


async def reload_via_telegram(fake: object, tally: Tally) -> None:
    """The admin's /reload; waits for the bot's report (✅ or ❌) in the admin chat."""
    since = fake.mark()  # type: ignore[attr-defined]
    tally.reloading = True
    started = time.monotonic()
    await fake.send_text(ADMIN, "/reload")  # type: ignore[attr-defined]
    try:
        calls = await fake.wait_for("sendMessage", count=2, chat_id=ADMIN, since=since, timeout=300)  # type: ignore[attr-defined]
        report = calls[-1].params.get("text", "").splitlines()[0]
    except (asyncio.TimeoutError, TimeoutError):
        report = "no report within 300 s"
    except asyncio.CancelledError:
        tally.reloading = False
        raise
    tally.reloading = False
    tally.notes.append(f"reload: {report} after {time.monotonic() - started:.1f} s")


async def run(chats: int, stop_at: float, lock: bool, work: Path) -> Tally:
    sys.path.insert(0, str(ROOT / "tests"))
    from fake_telegram import FakeTelegram  # the Bot API the server polls, on 127.0.0.1

    questions = read_questions(QUESTIONS)
    scripts = [chat_script(questions, n) for n in range(chats)]
    tally = Tally(planned=sum(len(s) for s in scripts))
    data, log = work / "data", work / "serve.log"
    fake = await FakeTelegram(token=TELEGRAM_TOKEN).start()
    port = free_port()
    env, base = server_env(data, port, fake.base_url), f"http://127.0.0.1:{port}"
    server = start_server(env, log)
    blocker: sqlite3.Connection | None = None
    try:
        tally.notes.append(f"serve ready after {await until_healthy(base, server):.1f} s")
        limits = httpx.Limits(max_connections=chats + 10, max_keepalive_connections=chats + 10)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            tasks = [asyncio.create_task(one_chat(client, base, n, s, tally)) for n, s in enumerate(scripts)]
            started = time.monotonic()
            while tally.answered < tally.planned * 0.4:
                await asyncio.sleep(0.01)
            reload_task = asyncio.create_task(reload_via_telegram(fake, tally))
            while not all(t.done() for t in tasks) and (tally.answered < tally.planned * stop_at or not reload_task.done()):
                await asyncio.sleep(0.005)
            if lock:
                blocker = sqlite3.connect(data / "bot.sqlite3", isolation_level=None, timeout=30)
                blocker.execute("BEGIN EXCLUSIVE")  # what the writer has not written now must be spooled
            server.send_signal(signal.SIGTERM)
            tally.notes.append(f"SIGTERM after {time.monotonic() - started:.1f} s, {tally.answered} answered")
            await asyncio.gather(*tasks)
        code = await asyncio.to_thread(server.wait, 600)
        tally.notes.append(f"serve exited {code} after {time.monotonic() - started:.1f} s")
        if not reload_task.done():  # the server stopped before it reported the reload
            reload_task.cancel()
            tally.notes.append("reload: not reported before the stop")
    finally:
        if server.poll() is None:
            server.kill()
        if blocker is not None:
            blocker.rollback()
            blocker.close()
    spool = data / "pending-records.jsonl"
    spooled = len(spool.read_text(encoding="utf-8").splitlines()) if spool.exists() else 0
    tally.notes.append(f"logged before the restart: {count_logged(data / 'bot.sqlite3')}; spooled: {spooled}")
    restart = start_server(env, log)  # the spool is written at start
    try:
        await until_healthy(base, restart)
        restart.send_signal(signal.SIGTERM)
        tally.notes.append(f"restart exited {await asyncio.to_thread(restart.wait, 120)}")
    finally:
        if restart.poll() is None:
            restart.kill()
        await fake.stop()
    return tally


def table(tally: Tally, logged: int) -> str:
    rows = [("messages planned", tally.planned), ("messages sent", tally.sent),
            ("answered (HTTP 200 with a reply)", tally.answered), ("… of them the 4 s fallback", tally.fallback),
            ("… answered while the reload ran", tally.during_reload),
            ("HTTP 200 without a reply / other status", tally.other),
            ("no response (server stopping or gone)", tally.refused), ("logged (rows in exchanges)", logged)]  # fmt: skip
    return "\n".join(["| | count |", "|---|---:|", *(f"| {name} | {value:,} |" for name, value in rows)])


@contextmanager
def work_folder(keep: Path | None, prefix: str) -> Iterator[Path]:
    """KEEP (created if needed, kept afterwards) or a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix=prefix) as temp:
        work = keep or Path(temp)
        work.mkdir(parents=True, exist_ok=True)
        yield work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--stop-at", type=float, default=0.9, help="SIGTERM when this share of messages is answered")
    parser.add_argument("--no-lock", action="store_true", help="do not write-lock the database at the stop")
    parser.add_argument("--keep", type=Path, help="work in this folder (kept) instead of a temporary one")
    args = parser.parse_args()
    with work_folder(args.keep, "load-wechat-") as work:
        tally = asyncio.run(run(args.chats, args.stop_at, not args.no_lock, work))
        logged = count_logged(work / "data" / "bot.sqlite3")
        storage = Counter(line.split("storage: ", 1)[1].split(" record(s)")[0].rsplit(":", 1)[0]
                          for line in (work / "serve.log").read_text("utf-8", "replace").splitlines() if "storage: " in line)
    print(f"{args.chats} concurrent WeChat chats (safe mode), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"nproc {os.cpu_count()}\n")  # fmt: skip
    print(table(tally, logged))
    print()
    for note in [*tally.notes, *(f"serve said {count}×: storage: {line} …" for line, count in storage.items())]:
        print(f"- {note}")


if __name__ == "__main__":
    main()
