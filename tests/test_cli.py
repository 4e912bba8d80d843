"""The CLI through click's runner, on the bundled corpus, with a temporary data directory."""

import json

import pytest
from click.testing import CliRunner

from bot.cli import main


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        result = runner.invoke(main, list(args), input=stdin, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def test_ask_prints_a_readable_reply(run):
    out = run("ask", "暖新之家有多大？")
    assert "300平方米" in out and "——" in out


def test_ask_json_schema(run):
    payload = json.loads(run("ask", "--json", "1226工程是什么？"))
    assert set(payload) == {"question", "answered", "reply", "passages"}
    assert payload["answered"] is True
    first = payload["passages"][0]
    assert set(first) == {"article", "title", "paragraph", "text", "score"}
    scores = [p["score"] for p in payload["passages"]]
    assert scores == sorted(scores, reverse=True)


def test_ask_json_batch_answers_each_line_independently(run):
    out = run("ask", "--json", "-", stdin="葫芦套村靠什么致富？\n村支书是谁？\n明天上海会下雨吗？\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in rows] == ["葫芦套村靠什么致富？", "村支书是谁？", "明天上海会下雨吗？"]
    assert rows[2]["answered"] is False and rows[2]["passages"] == []


def test_chat_json_is_one_conversation(run):
    out = run("chat", "--json", stdin="章丘的1226工程是什么？\n其中的两个统筹是什么？\n更多\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3
    assert "统筹基层基础" in rows[1]["passages"][0]["text"]


def test_reload_prints_a_summary(run):
    out = run("reload")
    assert "reload ok: 5 articles" in out and "passages" in out


def test_eval_prints_scores(run):
    out = run("eval")
    assert "hit@1" in out and "none (declined correctly): 3/3" in out


def test_reload_reports_changes_since_the_last_reload(run, tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).resolve().parent.parent / "corpus", corpus)
    monkeypatch.setenv("CORPUS_DIR", str(corpus))
    run("reload")
    (corpus / "articles" / "new.txt").write_text("清泉社区\n\n清泉社区成立“板凳议事会”。\n", encoding="utf-8")
    (corpus / "articles" / "bad.txt").write_bytes(b"\x00\x01" * 40)
    out = run("reload")
    assert "reload ok: 6 articles" in out
    assert "added: new" in out
    assert "skipped bad.txt: binary file" in out


def test_ask_runs_are_tagged_and_a_chat_is_user_traffic(run, tmp_path):
    run("ask", "--json", "-", stdin="暖新之家有多大？\n明天上海会下雨吗？\n")
    run("ask", "暖新之家有多大？")
    run("chat", "--json", stdin="暖新之家有多大？\n")
    logged = [json.loads(line) for line in run("logs", "--format", "json", "--source", "all").splitlines()]
    assert sorted(row["source"] for row in logged) == ["ask", "ask", "ask", "user"]
    assert "left out" in run("stats")  # the batch runs are not counted as traffic


def test_each_ask_run_is_a_conversation_of_its_own(run):
    """Conversation state outlives a process (it is in the database): one ask must not continue another."""
    run("ask", "暖新之家有多大？")
    alone = json.loads(run("ask", "--json", "它在哪里？"))
    assert not alone["answered"] or "暖新之家" not in alone["reply"]
    run("ask", "--json", "-", stdin="暖新之家有多大？\n")
    [again] = [json.loads(line) for line in run("ask", "--json", "-", stdin="它在哪里？\n").splitlines()]
    assert not again["answered"] or "暖新之家" not in again["reply"]
