"""What users type can't attack the admin: no rich markup or terminal escapes in `logs`/`stats`,
no spreadsheet formulas in the CSV export, and bytes that aren't UTF-8 are answered, printed and logged."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from storage_support import exchange, filled_store, sqlite_url

from bot.cli import main
from bot.config import Settings
from bot.records import utcnow
from bot.storage import open_store
from bot.storage.export import export
from bot.storage.formatting import format_queue_text, format_stats_text, short
from bot.storage.review import Filters, recent

ROOT = Path(__file__).resolve().parent.parent
# closes nothing ([/]), a hyperlink and a colour in rich markup, an emoji code, then a screen clear
# and an OSC 8 hyperlink as raw bytes (49 characters shown: not cut in any table)
HOSTILE = "[/][link=http://e.x]x[/link][red]r:+1:\x1b[2J\x1b]8;;h\x07"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", sqlite_url(tmp_path / "data" / "log.sqlite3"))
    monkeypatch.setenv("COLUMNS", "250")
    return tmp_path


@pytest.fixture
def hostile_log(env: Path) -> Path:
    store = open_store(Settings(_env_file=None))
    now = utcnow()
    store.record_exchange(exchange(HOSTILE, answered=False, now=now, days_ago=0.1))
    store.record_exchange(exchange("1226工程是什么", best_text=f"段落 {HOSTILE}", now=now, days_ago=0.2))
    store.close()
    return env


@pytest.mark.parametrize("command", [["logs"], ["logs", "unanswered"], ["stats"]])
def test_admin_commands_show_user_text_literally(hostile_log: Path, command: list[str]) -> None:
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "[/][link=http://e.x]x[/link][red]r:+1:␛[2J␛]8;;h␇" in out  # shown as typed, escapes visible
    assert "\x1b" not in out and "\x07" not in out


def test_chat_formatters_show_control_characters() -> None:
    from bot.storage.formatting import visible

    assert visible("a\x1b[31mb\x00\x7f\x9b\u2066") == "a␛[31mb␀␡<U+009B><U+2066>"
    assert short("line\none\x1b]0;title\x07", 80) == "line one␛]0;title␇"
    assert visible("红色物业 👍🏻 a\u200db") == "红色物业 👍🏻 a\u200db"  # emoji sequences stay


def test_telegram_review_texts_show_control_characters(hostile_log: Path) -> None:
    store = open_store(Settings(_env_file=None))
    try:
        texts = format_queue_text(store) + format_stats_text(store)
    finally:
        store.close()
    assert "\x1b" not in texts and "␛[2J" in texts


FORMULAS = ["=1+1", "+SUM(A1:A9)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", " =HYPERLINK(\"http://e.x\")",
            "\n=1", "＝1+1", '=cmd|" /C calc"!A0,"x"']  # fmt: skip
HARMLESS = ["1226工程是什么", "“5+4”工作思路", "'quoted", ""]


def test_csv_export_neutralises_formulas(tmp_path: Path) -> None:
    """OWASP: a cell starting with = + - @ tab or CR gets a leading single quote; every cell is quoted."""
    records = [exchange(text, answered=False) for text in FORMULAS + HARMLESS]
    records.append(exchange("问题", answered=False, query="-1 问题", error="=ERROR()"))
    store = filled_store(tmp_path / "db.sqlite3", *records)
    target = tmp_path / "log.csv"
    export(store, target, "csv")
    export(store, tmp_path / "log.jsonl", "jsonl")
    store.close()
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    messages = [row["message"] for row in rows]
    assert messages == ["'" + text for text in FORMULAS] + HARMLESS + ["问题"]
    assert (rows[-1]["query"], rows[-1]["error"]) == ("'-1 问题", "'=ERROR()")  # every text column
    for line in target.read_text(encoding="utf-8-sig").splitlines()[:1]:
        assert line.startswith('"time","exchange_id"')  # every cell quoted, header too
    jsonl = [json.loads(line)["message"] for line in (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert jsonl[: len(FORMULAS)] == FORMULAS  # JSON Lines is data, not for a spreadsheet: unchanged


def _bot(args: list[str | bytes], stdin: bytes, env_dir: Path) -> bytes:
    env = {**os.environ, "DATA_DIR": str(env_dir / "data"), "DATABASE_URL": sqlite_url(env_dir / "data" / "log.sqlite3"),
           "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": ""}  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, env=env, cwd=ROOT,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    return done.stdout


def _logged(env_dir: Path) -> list[str]:
    store = open_store(Settings(_env_file=None, database_url=sqlite_url(env_dir / "data" / "log.sqlite3")))
    try:
        return sorted(e.message for e in recent(store, Filters(source=None), limit=None))
    finally:
        store.close()


def test_invalid_utf8_is_answered_as_json_and_logged(tmp_path: Path) -> None:
    """stdin of `ask --json -` and `chat --json`, and a question in argv, with bytes that aren't UTF-8."""
    outputs = [
        _bot(["ask", "--json", "-"], b"\xff\xfe 1226\n\xe7\xa0 \xe5\xb7\xa5\xe7\xa8\x8b\n", tmp_path),
        _bot(["chat", "--json"], b"\xc3( 1226\n", tmp_path),
        _bot(["ask", "--json", b"\xff 1226"], b"", tmp_path),
    ]
    lines = [line for out in outputs for line in out.decode("utf-8").splitlines()]  # valid UTF-8
    questions = sorted(json.loads(line)["question"] for line in lines)  # every line valid JSON
    assert questions == sorted(["\ufffd\ufffd 1226", "\ufffd 工程", "\ufffd( 1226", "\ufffd 1226"])
    assert _logged(tmp_path) == questions


def test_export_to_a_terminal_shows_control_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    store = filled_store(tmp_path / "db.sqlite3", exchange(HOSTILE + "\r\n\x9b2J", answered=False))
    for fmt in ("csv", "jsonl"):
        screen = Terminal()
        monkeypatch.setattr(sys, "stdout", screen)
        assert export(store, "-", fmt) == 1
        text = screen.getvalue()
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\r" not in text
        assert "␛[2J" in text or "\\u001b[2J" in text  # CSV: a mark; JSON: its own escape
    store.close()
