"""`chat` and `ask` close the store on SIGTERM as `serve` does; `serve` names the corpus files it skipped."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_stop_signal import _env, _lock, _logged_after_next_start, _release

from bot.cli import main

QUESTION = "1226工程是什么？"


def _start(data: Path, *args: str) -> subprocess.Popen[str]:
    # BM25 alone: what is tested is the stop, and the embeddings of a fresh data folder take long
    env = _env(data, EMBEDDING_MODEL="none")
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=data.parent, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")  # fmt: skip


@pytest.mark.parametrize("command", [["chat", "--json"], ["ask", "--json", "-"]], ids=["chat", "ask"])
def test_sigterm_closes_the_store_of_chat_and_ask(tmp_path: Path, command: list[str]) -> None:
    """The database is write-locked, so the answered question's record is still queued when the
    signal comes: it must be spooled (exit 0) and written at the next start, not lost."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    blocker = _lock_when_created(data / "bot.sqlite3")
    bot = _start(data, *command)
    assert bot.stdin is not None and bot.stdout is not None
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(bot.stdout), daemon=True).start()  # type: ignore[arg-type]
    try:
        bot.stdin.write(QUESTION + "\n")
        bot.stdin.flush()
        deadline = time.monotonic() + 90
        while not lines:
            assert bot.poll() is None and time.monotonic() < deadline, "no answer"
            time.sleep(0.05)
        bot.send_signal(signal.SIGTERM)  # stdin stays open: only the signal ends it
        _, err = bot.communicate(timeout=60)
    finally:
        _release(bot, blocker)
    assert bot.returncode == 0, err
    assert "Traceback" not in err and "kept in" in err
    assert (data / "pending-records.jsonl").exists()
    assert _logged_after_next_start(data) == [QUESTION]


def _lock_when_created(path: Path):  # type: ignore[no-untyped-def]
    """The bot creates and upgrades its database at start; hold its write lock from then on."""
    from bot.storage import make_engine
    from bot.storage.db import upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)  # the schema exists, so the bot's start does not need to write
    engine.dispose()
    return _lock(path)


def test_serve_names_the_skipped_files_once_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     corpus_copy: Path) -> None:  # fmt: skip
    (corpus_copy / "synonyms.tsv").write_bytes(b"\x7fELF\x00\x01" * 100)
    monkeypatch.setenv("CORPUS_DIR", str(corpus_copy))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EMBEDDING_MODEL", "none")
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "WECHAT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(main, ["serve"], input="")  # the terminal chat, ended by EOF
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: skipped")]
    assert warnings == ["warning: skipped synonyms.tsv: word list not loaded: binary file (NUL bytes)"]
