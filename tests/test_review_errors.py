"""`logs`, `logs unanswered`, `logs export` and `stats` on a database they can't use: one `Error:` line."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _url(kind: str, tmp_path: Path) -> str:
    if kind == "uncreatable":
        (tmp_path / "a-file").write_text("x")
        return f"sqlite:///{tmp_path / 'a-file' / 'x' / 'bot.db'}"  # a folder below a file
    if kind == "not a database":
        (tmp_path / "junk.db").write_bytes(b"this is no SQLite file" * 100)
        return f"sqlite:///{tmp_path / 'junk.db'}"
    return f"postgresql://bot:secret@127.0.0.1:{_closed_port()}/bot"  # nothing listens


@pytest.mark.parametrize("kind", ["uncreatable", "not a database", "server down"])
@pytest.mark.parametrize("command", [["logs"], ["logs", "unanswered"], ["logs", "export", "-"], ["stats"]])
def test_unusable_database_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str,
                                             command: list[str]) -> None:  # fmt: skip
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", _url(kind, tmp_path))
    result = CliRunner().invoke(main, command)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit), result.exception  # handled, not a crash
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.output and "secret" not in result.output
    assert result.stdout == ""
