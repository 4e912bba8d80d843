"""The admin console in a real headless Chromium, against a real ``python -m bot serve``.

The story the README promises: log in, find a wrong answer in the review queue, correct it, upload an
article, reload, hit-test — and the running WeChat bot (same process) answers from the correction and
the upload. Skipped, saying how to install it, when no Chromium is found (Playwright's own browser
download is not used: Debian's ``chromium`` is driven through ``executable_path``).

Screenshots of each page go to a temp dir, or to ``$ADMIN_SCREENSHOTS`` (the README's come from
``ADMIN_SCREENSHOTS=bot/admin/screenshots``).
"""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import httpx
import pytest

from bot.channels.wechat.crypto import sign
from bot.records import Exchange, Feedback, PassageRef
from bot.storage import Store

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "browser-test-password"
WECHAT_TOKEN = "browsertoken"
CHROMIUM = next((p for p in (os.environ.get("CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                             shutil.which("google-chrome")) if p), None)  # fmt: skip
playwright_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]' (the playwright package)")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found: browser tests skipped — install it with `apt-get install -y chromium` (or set CHROMIUM=/path)",
)
WRONG = "骑手在济南能去哪儿歇脚"  # declined by the bundled corpus: the admin corrects it
NEW = "港沟街道的暖阳驿站有几座"  # nothing about it until the admin uploads an article
ARTICLE = ("历城区港沟街道暖阳驿站建设情况\n\n港沟街道在辖区新建了七十二座暖阳驿站，为环卫工人和快递小哥提供热水、充电和休息的地方。"
           "驿站由社区党支部统一管理，每天早七点到晚九点开放。\n")  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(url: str) -> None:
    """Two weeks of example traffic, so the overview has something to draw."""
    rng = random.Random(10)
    now = datetime.now(timezone.utc)
    questions = ["1226工程是什么？", "红色物业是谁管的", "暖新之家在哪里", "章丘怎么抓基层党建", "明天会下雨吗", "槐荫的党员多不多"]
    store = Store(url, id_hash_key="browser")
    for n in range(160):
        question = rng.choice(questions)
        answered = question != "明天会下雨吗" and rng.random() > 0.12
        exchange = Exchange(
            exchange_id=f"seed{n}", channel=rng.choice(["telegram", "telegram", "wechat"]), chat_id=f"c{n % 9}",
            user_id=f"u{n % 9}", message=question, query=question, answered=answered,
            kind="answer" if answered else "no_answer", latency_ms=rng.uniform(40, 400) if answered else rng.uniform(20, 90),
            time=now - timedelta(days=rng.uniform(0, 14)), reason="" if answered else "weak match",
            passages=[PassageRef("002_2e80cddfbcd62056", 1, 0.8, title="章丘：凝心聚力书写创新发展新时代答卷")] if answered else [],
            confidence=0.9 if answered else 0.3, reply=f"据报道：…（{question}）",
        )  # fmt: skip
        store.record_exchange(exchange)
        if answered and rng.random() < 0.15:
            store.record_feedback(Feedback(exchange.exchange_id, up=rng.random() < 0.7, channel=exchange.channel, time=exchange.time))
    assert store.flush(timeout=20)
    store.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `python -m bot serve` with the console and WeChat on 127.0.0.1 (temp corpus and data)."""
    tmp = tmp_path_factory.mktemp("browser")
    shutil.copytree(ROOT / "corpus", tmp / "corpus")
    (tmp / "data").mkdir()
    seed(f"sqlite:///{tmp / 'data' / 'bot.sqlite3'}")
    port = free_port()
    env = {**os.environ, "CORPUS_DIR": str(tmp / "corpus"), "DATA_DIR": str(tmp / "data"), "EMBEDDING_MODEL": "none",
           "ADMIN_PASSWORD": PASSWORD, "ADMIN_TIMEZONE": "Asia/Shanghai", "HTTP_HOST": "127.0.0.1", "HTTP_PORT": str(port),
           "WECHAT_TOKEN": WECHAT_TOKEN, "ID_HASH_KEY": "browser", "TELEGRAM_BOT_TOKEN": "", "DATABASE_URL": ""}  # fmt: skip
    log = (tmp / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"serve exited with {process.returncode}:\n{(tmp / 'serve.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve did not start:\n{(tmp / 'serve.log').read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wechat(base: str, question: str, user: str = "oBrowserUser") -> str:
    """Ask the running bot through its WeChat callback (plain mode); the reply's text."""
    timestamp, nonce = str(int(time.time())), str(random.randrange(10**9))
    body = (f"<xml><ToUserName>gh_test</ToUserName><FromUserName>{user}</FromUserName><CreateTime>{timestamp}</CreateTime>"
            f"<MsgType>text</MsgType><Content><![CDATA[{question}]]></Content><MsgId>{nonce}</MsgId></xml>")  # fmt: skip
    params = {"signature": sign(WECHAT_TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    response = httpx.post(f"{base}/wechat", params=params, content=body.encode("utf-8"), timeout=30)
    assert response.status_code == 200, response.text
    found = re.search(r"<Content><!\[CDATA\[(.*?)\]\]></Content>", response.text, re.S)
    assert found, response.text
    return unescape(found.group(1))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = Path(os.environ.get("ADMIN_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    target.mkdir(parents=True, exist_ok=True)
    return target


def test_admin_finds_corrects_uploads_reloads_and_the_running_bot_answers(server: str, browser, shots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = wechat(server, WRONG)
    assert "抱歉" in before  # declined: this is what the admin will find
    assert "七十二座" not in wechat(server, NEW)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)

    # log in: a page asked without a session leads to the login form, then back to it
    page.goto(f"{server}/admin/queue")
    assert page.locator("input[type=password]").is_visible()
    page.screenshot(path=str(shots / "login.png"))
    page.fill("input[type=password]", "wrong")
    page.click("button[type=submit]")
    assert "Wrong password" in page.content()
    page.fill("input[type=password]", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/queue$"))

    # the review queue lists what the bot declined, grouped, with the best passage it had
    queue = page.locator("table.queue")
    page.wait_for_timeout(100)
    for _ in range(20):  # the exchange is written off the reply path: a moment later at most
        if WRONG in queue.inner_text():
            break
        page.reload()
    assert WRONG in queue.inner_text()
    page.screenshot(path=str(shots / "queue.png"), full_page=True)

    # correct it: search the corpus for the right passage and pick it
    row = page.locator("table.queue tr", has_text=WRONG)
    row.locator("a", has_text="Correct").click()
    page.fill("input[name=search]", "暖新之家 外卖小哥 休息")
    page.click("form.filters button[type=submit]")
    picked = page.locator("table.ranked tbody tr").first
    picked_text = picked.locator("blockquote").inner_text()
    assert picked_text
    page.screenshot(path=str(shots / "correct.png"), full_page=True)
    picked.locator("button.pick").click()
    assert "Corrected" in page.locator(".notice").inner_text()
    assert WRONG in page.locator("h2:has-text('Corrections in force') + table").inner_text()

    # upload an article (GBK, as many Chinese .txt files are), then reload every running bot
    upload = tmp_path / "nuanyang.txt"
    upload.write_bytes(ARTICLE.encode("gbk"))
    page.click("a:has-text('Corpus')")
    page.set_input_files("input[type=file]", str(upload))
    page.click("form.upload button[type=submit]")
    notice = page.locator(".notice").inner_text()
    assert "Saved as" in notice, notice
    article = re.search(r"Saved as (\S+?)\.", notice).group(1)  # type: ignore[union-attr]
    page.click("form.reload button")
    report = page.locator(".notice").inner_text()
    assert "Reloaded:" in report and f"added: {article}" in report
    assert article in page.locator("table.articles").inner_text()
    page.screenshot(path=str(shots / "corpus.png"), full_page=True)

    # hit test: the new article answers, each ranker's score shown, nothing logged
    page.click("a:has-text('Hit test')")
    page.fill("input[name=q]", NEW)
    page.click("form.filters button[type=submit]")
    assert "Answered" in page.locator(".decision").inner_text()
    assert "七十二座暖阳驿站" in page.locator("table.ranked").inner_text()
    page.screenshot(path=str(shots / "hit.png"), full_page=True)

    # the running WeChat bot answers from the correction and from the upload
    corrected = wechat(server, WRONG, user="oSecondUser")
    assert "抱歉" not in corrected and picked_text.replace("\n", "")[:15] in corrected.replace("\n", "")
    assert "七十二座暖阳驿站" in wechat(server, NEW, user="oSecondUser")

    # the exchanges page shows the traffic, newest first, in the admin's zone; the overview draws it
    page.click("a:has-text('Exchanges')")
    page.fill("input[name=search]", "暖阳驿站")
    page.click("form.filters button[type=submit]")
    listed = page.locator("article.exchange").first.inner_text()
    assert NEW in listed and "+08:00" in listed
    page.goto(f"{server}/admin/exchanges")
    page.screenshot(path=str(shots / "exchanges.png"))
    page.click("a:has-text('Overview')")
    assert page.locator("svg.chart").count() == 5
    assert int(page.locator("#total-questions").inner_text()) >= 160
    page.screenshot(path=str(shots / "overview.png"), full_page=True)
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
