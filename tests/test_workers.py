"""``serve --workers N``: one HTTP app in several processes over one database — follow-ups land on any
worker, a ``python -m bot reload`` reaches them all, a stop loses nothing."""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import defusedxml.ElementTree as ET
import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from test_reload_everywhere import NEW_ARTICLE, NEW_QUESTION, NEW_WORDS
from test_stop_signal import TOKEN, _free_port, _stopped, _wait_until_serving

from bot.cli import main
from bot.config import Settings
from bot.storage import open_store
from bot.storage.models import ExchangeRow
from bot.workers import why_not_workers

_ids = itertools.count(1)


def _ask(base: str, user: str, content: str) -> str:
    """A signed plain-mode WeChat text message from USER; the reply's text."""
    timestamp, nonce = str(int(time.time())), f"w{next(_ids)}x{time.monotonic_ns()}"
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    xml = (f"<xml><ToUserName><![CDATA[gh_w]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
           f"<CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           f"<Content><![CDATA[{content}]]></Content><MsgId>{8_000_000 + next(_ids)}</MsgId></xml>")  # fmt: skip
    params = {"signature": signature, "timestamp": timestamp, "nonce": nonce, "openid": user}
    # a new connection each time: the kernel hands it to either worker
    response = httpx.post(f"{base}/wechat", params=params, content=xml.encode("utf-8"), timeout=30,
                          headers={"Connection": "close"})  # fmt: skip
    assert response.status_code == 200, response.text
    return str(ET.fromstring(response.text).findtext("Content") or "")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _env(corpus: Path, data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "DATABASE_", "ADMIN_", "WEBHOOK_"))}
    env.update(CORPUS_DIR=str(corpus), DATA_DIR=str(data), EMBEDDING_MODEL="none", ID_HASH_KEY="workers-test-key",
               PYTHONUNBUFFERED="1", RELOAD_POLL_S="0.5", **extra)  # fmt: skip
    return env


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to see the worker processes")
def test_two_workers_share_conversations_a_reload_and_the_log(corpus_copy: Path, tmp_path: Path, db_url: str) -> None:
    """On one SQLite file and on one PostgreSQL database."""
    data, port = tmp_path / "data", _free_port()
    env = _env(corpus_copy, data, WECHAT_TOKEN=TOKEN, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port), DATABASE_URL=db_url)
    serve = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--workers", "2"], cwd=tmp_path, env=env,
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    asked = 0
    try:
        _wait_until_serving(serve, base, 120, "serve --workers 2", ready=lambda: len(_children(serve.pid)) >= 2)
        time.sleep(3)  # both workers up: each answers /healthz only once its index is built
        # follow-ups land on whichever worker takes the connection: the topic is in the database
        for n in range(6):
            user = f"oWorker{n}"
            first = _ask(base, user, "暖新之家有多大？")
            follow = _ask(base, user, "它在哪里？")
            asked += 2
            assert "平方米" in first, first
            assert "抱歉" not in follow and "暖新" in follow, follow
        # a reload from another process reaches both workers
        (corpus_copy / "articles" / "new_hall.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        reload = subprocess.run([sys.executable, "-m", "bot", "reload"], cwd=tmp_path, env=_env(corpus_copy, data, DATABASE_URL=db_url),
                                capture_output=True, text=True, timeout=120)  # fmt: skip
        assert reload.returncode == 0, reload.stderr
        deadline = time.monotonic() + 20
        while True:
            replies = [_ask(base, f"oNew{i}", NEW_QUESTION) for i in range(8)]
            asked += 8
            if all(NEW_WORDS in r for r in replies):
                break
            assert time.monotonic() < deadline, f"not every worker answers from the new article: {replies}"
            time.sleep(0.5)
    finally:
        err = _stopped(serve)
    assert serve.returncode == 0, err
    assert "Traceback" not in err, err
    store = open_store(Settings(_env_file=None, data_dir=data, id_hash_key="workers-test-key", database_url=db_url))
    try:
        assert store.flush(timeout=20)
        with store.session() as session:
            assert session.query(ExchangeRow).count() == asked  # every exchange, from both workers
            workers_seen = len(set(session.scalars(select(ExchangeRow.channel))))
    finally:
        store.close()
    assert workers_seen == 1  # all of them WeChat


def test_several_workers_need_an_http_channel_and_telegram_by_webhook() -> None:
    polling = Settings(_env_file=None, telegram_bot_token="1:x", webhook_url="")
    assert "WEBHOOK_URL" in why_not_workers(polling, 2)
    assert why_not_workers(polling, 1) == ""
    assert "WECHAT_TOKEN" in why_not_workers(Settings(_env_file=None), 3)
    hooked = Settings(_env_file=None, telegram_bot_token="1:x", webhook_url="https://bot.example.org/tg")
    assert why_not_workers(hooked, 4) == ""
    result = CliRunner().invoke(main, ["serve", "--workers", "2"], env={"TELEGRAM_BOT_TOKEN": "1:x", "WEBHOOK_URL": ""})
    assert result.exit_code == 2 and "WEBHOOK_URL" in result.output
