"""Nothing is lost when ``serve`` is stopped: SIGTERM (systemd, Docker) and SIGINT alike.

A real ``python -m bot serve`` process gets messages while the database is write-locked, then
the signal; whatever it could not write is spooled, and the next start writes all of it.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.storage import open_store
from bot.storage.models import ExchangeRow

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "stoptoken"
QUESTIONS = ["1226工程是什么？", "槐荫区的红色物业是什么？", "暖新之家是什么？", "章丘的党员有多少？", "更多"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "DATABASE_"))}
    env.update(DATA_DIR=str(data), ID_HASH_KEY="stop-test-key", PYTHONUNBUFFERED="1", **extra)
    return env


def _serve(data: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=data.parent, env=_env(data, **extra),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")  # fmt: skip


def _lock(path: Path) -> sqlite3.Connection:
    """Hold the write lock on PATH: the bot's writer waits, then keeps its records."""
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    return blocker


def _release(bot: subprocess.Popen[str], blocker: sqlite3.Connection | None) -> None:
    """The process gone (killed if the signal did not end it), then the lock released."""
    if bot.poll() is None:
        bot.kill()
    bot.wait()
    if blocker is not None:
        blocker.rollback()
        blocker.close()


def _wait_until_serving(bot: subprocess.Popen[str], base: str, timeout_s: float = 60, what: str = "serve",
                        ready: Callable[[], bool] = lambda: True) -> None:
    """Until BOT answers ``/healthz`` (and READY holds); fails if it exits or TIMEOUT_S passes first."""
    deadline = time.monotonic() + timeout_s
    while True:
        assert bot.poll() is None and time.monotonic() < deadline, f"{what} did not start"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200 and ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)


def _stopped(bot: subprocess.Popen[str], sig: int = signal.SIGTERM) -> str:
    """Stop BOT with SIG (killed if it takes over a minute); its stderr."""
    bot.send_signal(sig)
    try:
        _, err = bot.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        bot.kill()
        _, err = bot.communicate()
    return err


def _wechat_text(base: str, n: int, content: str) -> httpx.Response:
    """A plain-mode WeChat text message, signed with the token (sha1 of sorted token, timestamp, nonce)."""
    timestamp, nonce = str(int(time.time())), f"stop{n}x{time.monotonic_ns()}"
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    xml = (f"<xml><ToUserName><![CDATA[gh_stop]]></ToUserName><FromUserName><![CDATA[oStop{n}]]></FromUserName>"
           f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           f"<Content><![CDATA[{content}]]></Content><MsgId>{7_000_000 + n}</MsgId></xml>")  # fmt: skip
    params = {"signature": signature, "timestamp": timestamp, "nonce": nonce, "openid": f"oStop{n}"}
    return httpx.post(f"{base}/wechat", params=params, content=xml.encode("utf-8"), timeout=30)


def _logged_after_next_start(data: Path) -> list[str]:
    """The next start (a store over the same data folder) writes the spool; the messages logged."""
    store = open_store(Settings(data_dir=data, id_hash_key="stop-test-key", database_url=""))
    try:
        assert store.flush(timeout=20)
        with store.session() as session:
            return list(session.scalars(select(ExchangeRow.message)))
    finally:
        store.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_wechat_serve_while_the_database_is_locked_loses_nothing(tmp_path: Path, sig: int) -> None:
    data = tmp_path / "data"
    port = _free_port()
    bot = _serve(data, WECHAT_TOKEN=TOKEN, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port))
    base = f"http://127.0.0.1:{port}"
    blocker = None
    try:
        _wait_until_serving(bot, base)
        blocker = _lock(data / "bot.sqlite3")
        for n, question in enumerate(QUESTIONS):
            assert _wechat_text(base, n, question).status_code == 200
        bot.send_signal(sig)
        _, err = bot.communicate(timeout=60)
    finally:
        _release(bot, blocker)
    assert bot.returncode == 0, err
    assert "Traceback" not in err
    assert "kept in" in err and (data / "pending-records.jsonl").exists()
    assert sorted(_logged_after_next_start(data)) == sorted(QUESTIONS)


def test_sigterm_to_the_terminal_chat_keeps_its_records(tmp_path: Path) -> None:
    data = tmp_path / "data"
    bot = _serve(data)
    assert bot.stdout is not None and bot.stdin is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(bot.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    blocker = None
    try:
        deadline = time.monotonic() + 60
        while not any("terminal chat over" in line for line in lines):
            assert bot.poll() is None and time.monotonic() < deadline, "the chat did not start"
            time.sleep(0.05)
        blocker = _lock(data / "bot.sqlite3")
        bot.stdin.write("1226工程是什么？\n")
        bot.stdin.flush()
        while not any("1226" in line and "“" in line for line in lines[1:]):
            assert bot.poll() is None and time.monotonic() < deadline, "no answer"
            time.sleep(0.05)
        bot.send_signal(signal.SIGTERM)  # stdin stays open: only the signal ends the chat
        bot.wait(timeout=60)
    finally:
        _release(bot, blocker)
    assert bot.returncode == 0
    assert _logged_after_next_start(data) == ["1226工程是什么？"]
