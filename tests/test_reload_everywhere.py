"""One reload reaches every running bot: the corpus generation in the database, the watcher that
follows it, and a real ``serve`` process that answers from an article a ``python -m bot reload``
in another process added."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import defusedxml.ElementTree as ET
import pytest
from test_stop_signal import TOKEN, _free_port, _stopped, _wait_until_serving, _wechat_text

from bot.app import Services, build_services
from bot.config import Settings
from bot.messages import Incoming
from bot.records import ReloadReport
from bot.reloading import GenerationWatcher
from bot.storage import open_store
from bot.storage.generation import current_generation, publish_generation, read_generation

ROOT = Path(__file__).resolve().parent.parent
NEW_ARTICLE = "暖泉社区的夜间议事厅\n\n暖泉社区推出“夜间议事厅”，每周三晚上请居民一起商量小区的事，已经解决停车难题12件。\n"
NEW_QUESTION = "夜间议事厅是什么？"
NEW_WORDS = "夜间议事厅"


def _settings(corpus: Path, data: Path) -> Settings:
    return Settings(_env_file=None, corpus_dir=corpus, data_dir=data, database_url="", embedding_model="none")


def _answers_new(services: Services) -> bool:
    reply = services.engine.handle(Incoming(NEW_QUESTION, chat_id=f"t{time.monotonic_ns()}"))
    return reply.answered and any(NEW_WORDS in q.text for q in reply.quotes)


# --- the generation in the database ----------------------------------------------------------


def test_generation_starts_at_zero_and_each_publish_raises_it(tmp_path: Path) -> None:
    store = open_store(_settings(tmp_path / "corpus", tmp_path / "data"))
    try:
        assert current_generation(store) == 0  # no row yet
        assert publish_generation(store, "cli") == 1  # the row is inserted
        assert publish_generation(store, "telegram") == 2
        assert current_generation(store) == read_generation(store) == 2
    finally:
        store.close()


def test_concurrent_publishers_are_all_counted(tmp_path: Path) -> None:
    """Two threads (two connections) publishing at once, the first ones racing to insert the row."""
    settings = _settings(tmp_path / "corpus", tmp_path / "data")
    stores = [open_store(settings), open_store(settings)]
    seen: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def publish(n: int) -> None:
        start.wait()
        for _ in range(25):
            seen[n].append(publish_generation(stores[n], f"thread{n}"))

    threads = [threading.Thread(target=publish, args=(n,)) for n in (0, 1)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        values = seen[0] + seen[1]
        assert 0 not in values  # no publish failed
        assert sorted(values) == list(range(1, 51))  # every one counted once, none lost or repeated
        assert current_generation(stores[0]) == 50
    finally:
        for store in stores:
            store.close()


def test_a_database_fault_is_a_warning_not_an_error(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = open_store(_settings(tmp_path / "corpus", tmp_path / "data"))
    store.engine.dispose()
    store.file.path.unlink()
    store.file.path.mkdir()  # the database file is now a folder: every connection fails
    try:
        with caplog.at_level(logging.WARNING):
            assert current_generation(store) == 0
            assert publish_generation(store, "cli") == 0
        assert "cannot read the corpus generation" in caplog.text
        assert "cannot publish the corpus generation" in caplog.text
        assert current_generation(None) == 0 and publish_generation(None, "cli") == 0
    finally:
        store.close()


# --- two processes' worth of services on one SQLite file ----------------------------------------


@pytest.fixture
def pair(corpus_copy: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = _settings(corpus_copy, tmp_path / "data")
    first, second = build_services(settings), build_services(settings)
    yield first, second
    first.close()
    second.close()


def test_a_reload_in_one_services_reaches_the_other_through_the_watcher(pair, corpus_copy: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = pair
    (corpus_copy / "articles" / "new_hall.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    report = first.reload("admin", "console")
    assert report.ok and report.added == ["new_hall"]
    assert first.generation.value == current_generation(first.store) == 1
    assert _answers_new(first)
    assert not _answers_new(second)  # the other process still answers from its old index
    watcher = GenerationWatcher(second, interval_s=60)  # polled by hand here
    refreshed = watcher.check()
    assert refreshed is not None and refreshed.ok and refreshed.origin == "sync"
    assert second.generation.value == 1 and _answers_new(second)
    assert watcher.check() is None  # up to date: nothing rebuilt
    assert GenerationWatcher(first, interval_s=60).check() is None  # the publisher does not rebuild again


def test_the_watcher_thread_swaps_the_index_and_stops(pair, corpus_copy: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = pair
    watcher = second.start_watching(interval_s=0.05)
    assert watcher is not None and watcher.running
    (corpus_copy / "articles" / "new_hall.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    assert first.reload("admin", "cli").ok
    deadline = time.monotonic() + 30
    while not _answers_new(second):
        assert time.monotonic() < deadline, "the watcher never rebuilt the index"
        time.sleep(0.05)
    second.close()
    assert not watcher.running


def test_a_failed_reload_publishes_nothing(pair, corpus_copy: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = pair
    for path in (corpus_copy / "articles").iterdir():
        path.unlink()
    report = first.reload("admin", "cli")
    assert not report.ok
    assert current_generation(first.store) == 0 and first.generation.value == 0
    assert GenerationWatcher(second, interval_s=60).check() is None


def test_a_reload_published_while_building_is_built_again(pair, corpus_copy: Path) -> None:  # type: ignore[no-untyped-def]
    """Another process publishes while this one builds: this one may have read the files too early,
    so it keeps the generation it saw before building and the next poll rebuilds."""
    first, second = pair

    def build_while_another_publishes() -> ReloadReport:
        publish_generation(second.store, "elsewhere")
        return first.engine.reload("admin", "cli")

    report = first.generation.rebuild(build_while_another_publishes, publish=True, origin="cli")
    assert report.ok and current_generation(first.store) == 2
    assert first.generation.value == 0  # not 2: the other publish may hold files this build missed
    assert GenerationWatcher(first, interval_s=60).check() is not None
    assert first.generation.value == 2


def test_a_failing_refresh_backs_off(pair, corpus_copy: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = pair
    publish_generation(first.store, "cli")
    for path in (corpus_copy / "articles").iterdir():
        path.unlink()  # every rebuild fails now
    watcher = GenerationWatcher(second, interval_s=1)
    failed = watcher.check(now=100.0)
    assert failed is not None and not failed.ok and second.generation.value == 0
    assert watcher.check(now=100.5) is None  # not retried at once
    assert watcher.check(now=200.0) is not None  # but later


# --- a real serve process, reloaded from another process -----------------------------------------

def _env(corpus: Path, data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_", "DATABASE_", "ADMIN_"))}
    env.update(CORPUS_DIR=str(corpus), DATA_DIR=str(data), EMBEDDING_MODEL="none", ID_HASH_KEY="reload-test-key",
               PYTHONUNBUFFERED="1", **extra)  # fmt: skip
    return env


def _wechat_ask(base: str, n: int, content: str) -> str:
    """A signed plain-mode WeChat text message (see test_stop_signal); the reply's text."""
    response = _wechat_text(base, n, content)
    assert response.status_code == 200, response.text
    return str(ET.fromstring(response.text).findtext("Content") or "")


def test_python_m_bot_reload_reaches_a_running_serve(corpus_copy: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = _free_port()
    env = _env(corpus_copy, data, WECHAT_TOKEN=TOKEN, HTTP_HOST="127.0.0.1", HTTP_PORT=str(port))
    bot = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=tmp_path, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(bot, base)
        before = _wechat_ask(base, 0, NEW_QUESTION)
        assert NEW_WORDS not in before  # not in the corpus yet
        (corpus_copy / "articles" / "new_hall.txt").write_text(NEW_ARTICLE, encoding="utf-8")
        assert NEW_WORDS not in _wechat_ask(base, 1, NEW_QUESTION)  # a file alone changes nothing
        reload = subprocess.run([sys.executable, "-m", "bot", "reload"], cwd=tmp_path, env=_env(corpus_copy, data),
                                capture_output=True, text=True, encoding="utf-8", timeout=120)  # fmt: skip
        assert reload.returncode == 0, reload.stderr
        assert "reload ok" in reload.stdout
        replies: list[str] = []
        deadline = time.monotonic() + 15
        while not replies or NEW_WORDS not in replies[-1]:
            assert bot.poll() is None and time.monotonic() < deadline, f"serve never answered from the new article: {replies}"
            replies.append(_wechat_ask(base, 2 + len(replies), NEW_QUESTION))  # answered all along
            time.sleep(0.2)
        assert "暖泉社区" in replies[-1]
    finally:
        err = _stopped(bot)
    assert bot.returncode == 0, err
    assert "Traceback" not in err
    assert "rebuilding the index" in err  # the running process rebuilt because of the published generation
